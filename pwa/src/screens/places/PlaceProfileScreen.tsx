// A place's profile for case roles: incidents by week, the CSE/CCE split, the weekday × hour
// heat map, the indicators seen, the young people and the persons of concern seen there, and
// the strategy meetings' open actions and next review. Each
// chart is hand-written SVG with its numbers as a table (in a <details>) for screen readers.
import { useEffect } from 'preact/hooks';
import type { PlaceProfile } from '../../api/types';
import { call } from '../../api/client';
import { LoadError, Loading, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';
import { app, useStore } from '../../state';
import { bars, heatCells, weekLabel, WEEKDAYS } from './charts';
import { concernLabel, PLACE_TYPES } from './labels';
import { StrategySection } from './StrategyMeetings';

export function PlaceProfileScreen({ id }: { id: string }) {
  useTitle('Place profile');
  // Printed, the charts' tables are printed too.
  useEffect(() => {
    const open = () => document.querySelectorAll<HTMLDetailsElement>('details.numbers').forEach((d) => (d.open = true));
    window.addEventListener('beforeprint', open);
    return () => window.removeEventListener('beforeprint', open);
  }, []);
  const profile = useAsync((signal) => call<PlaceProfile>(`/places/${encodeURIComponent(id)}/profile`, { signal }), [id]);
  const p = profile.data;
  return (
    <div class="place-profile">
      <h1>Place profile</h1>
      {profile.loading && !p ? <Loading what="the place" /> : null}
      {!p ? <LoadError state={profile} what="the place" /> : null}
      {p ? (
        <>
          <section class="card" aria-label="Place">
            <p class="line1">
              <strong data-testid="place-name">{p.place.name}</strong>
            </p>
            <p>
              {PLACE_TYPES[p.place.type] ?? p.place.type}
              {p.place.area ? ` · ${p.place.area}` : ''}
              {p.place.postcode_district ? ` · ${p.place.postcode_district}` : ''}
              {p.place.aliases.length ? ` · also called ${p.place.aliases.join(', ')}` : ''}
            </p>
            <p data-testid="place-incidents">
              <strong>{p.incidents}</strong> incident{p.incidents === 1 ? '' : 's'} your teams can see.
            </p>
            <p class="no-print">
              <a href="/places">All places</a>
            </p>
          </section>
          <StrategySection profile={p} onChanged={profile.reload} />
          <WeeklyChart weeks={p.weeks} />
          <CategoryChart split={p.categories} />
          <HeatMap cells={p.weekday_hours} />
          <Indicators items={p.indicators} />
          <PeopleSeen profile={p} />
        </>
      ) : null}
    </div>
  );
}

function Numbers({ caption, head, rows, testid }: { caption: string; head: string[]; rows: (string | number)[][]; testid: string }) {
  return (
    <details class="numbers">
      <summary>The numbers as a table</summary>
      <table data-testid={testid}>
        <caption class="sr-only">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th key={h} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              {r.map((c, j) => (j === 0 ? <th key={j} scope="row">{c}</th> : <td key={j}>{c}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

const W = 320;
const H = 120;

function WeeklyChart({ weeks }: { weeks: PlaceProfile['weeks'] }) {
  const { bars: shown, max } = bars(
    weeks.map((w) => ({ label: w.week, value: w.incidents })),
    W - 24,
    H - 20,
  );
  const total = weeks.reduce((n, w) => n + w.incidents, 0);
  return (
    <Section title="Incidents by week" id="weekly">
      <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${total} incidents over the last ${weeks.length} weeks; the table below has each week`}>
        <text x="0" y="10" class="axis">{max}</text>
        <text x="0" y={H - 20} class="axis">0</text>
        <line x1="24" x2={W} y1={H - 20} y2={H - 20} class="baseline" />
        <g transform="translate(24 0)">
          {shown.map((b) => (
            <rect key={b.label} x={b.x} y={b.y} width={b.width} height={b.height} class="bar" />
          ))}
          {shown.map((b, i) =>
            i % 4 === 0 || i === shown.length - 1 ? (
              <text key={`l${b.label}`} x={b.x + b.width / 2} y={H - 6} class="axis" text-anchor="middle">
                {weekLabel(b.label)}
              </text>
            ) : null,
          )}
        </g>
      </svg>
      <Numbers
        caption="Incidents by ISO week"
        head={['Week', 'Incidents']}
        rows={[...weeks.map((w) => [w.week, w.incidents]), ['Total', total]]}
        testid="weekly-table"
      />
    </Section>
  );
}

function CategoryChart({ split }: { split: PlaceProfile['categories'] }) {
  const rows: [string, number, string][] = [
    ['Sexual exploitation (CSE)', split.cse, 'cse'],
    ['Criminal exploitation (CCE)', split.cce, 'cce'],
    ['Both', split.both, 'both'],
    ['Neither', split.neither, 'neither'],
  ];
  const total = rows.reduce((n, r) => n + r[1], 0);
  let x = 0;
  return (
    <Section title="CSE and CCE" id="categories">
      <svg class="chart" viewBox={`0 0 ${W} 28`} role="img" aria-label={`${split.cse} CSE, ${split.cce} CCE, ${split.both} both, ${split.neither} neither`}>
        {total
          ? rows.map(([label, n, key]) => {
              const w = (n / total) * W;
              const r = <rect key={label} x={x} y="0" width={w} height="28" class={`seg seg-${key}`} />;
              x += w;
              return r;
            })
          : <rect x="0" y="0" width={W} height="28" class="seg seg-neither" />}
      </svg>
      <ul class="legend">
        {rows.map(([label, n, key]) => (
          <li key={key}>
            <span class={`swatch seg-${key}`} aria-hidden="true" /> {label}: {n}
          </li>
        ))}
      </ul>
      <Numbers caption="Incidents by category" head={['Category', 'Incidents']} rows={[...rows.map((r) => [r[0], r[1]]), ['Total', total]]} testid="categories-table" />
    </Section>
  );
}

function HeatMap({ cells }: { cells: PlaceProfile['weekday_hours'] }) {
  const size = 12;
  const grid = heatCells(cells, size);
  const left = 28;
  const top = 12;
  return (
    <Section title="Day and hour (London time)" id="heat">
      <svg class="chart heat" viewBox={`0 0 ${left + 24 * size} ${top + 7 * size}`} role="img" aria-label="When incidents happened, by weekday and hour; the table below lists each">
        {[0, 6, 12, 18].map((h) => (
          <text key={h} x={left + h * size} y="9" class="axis">
            {String(h).padStart(2, '0')}
          </text>
        ))}
        {WEEKDAYS.map((d, i) => (
          <text key={d} x="0" y={top + i * size + size - 2} class="axis">
            {d}
          </text>
        ))}
        <g transform={`translate(${left} ${top})`}>
          {grid.map((c) => (
            <rect key={`${c.weekday}:${c.hour}`} x={c.x + 0.5} y={c.y + 0.5} width={c.size - 1} height={c.size - 1} class={`cell level-${c.level}`} />
          ))}
        </g>
      </svg>
      <Numbers
        caption="Incidents by weekday and hour"
        head={['Day and hour', 'Incidents']}
        rows={grid.filter((c) => c.incidents).map((c) => [`${WEEKDAYS[c.weekday - 1]} ${String(c.hour).padStart(2, '0')}:00`, c.incidents])}
        testid="heat-table"
      />
    </Section>
  );
}

function Indicators({ items }: { items: PlaceProfile['indicators'] }) {
  return (
    <Section title={`Indicators seen (${items.length})`} id="indicators-seen">
      {items.length ? (
        <table data-testid="indicators-table">
          <thead>
            <tr>
              <th scope="col">Indicator</th>
              <th scope="col">Incidents</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.code}>
                <th scope="row">{i.label}</th>
                <td>{i.incidents}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>None recorded.</p>
      )}
    </Section>
  );
}

function PeopleSeen({ profile }: { profile: PlaceProfile }) {
  // A coordinator sees places and networks, not the young person's page.
  const roles = useStore(app, (s) => s.me?.roles ?? []);
  const seesPerson = roles.some((r) => r === 'worker' || r === 'day_team' || r === 'manager');
  const young = [...profile.young_people.map((y) => ({ ...y, as: 'Subject' })), ...profile.peers.map((y) => ({ ...y, as: 'Present' }))];
  return (
    <>
      <Section title={`Young people linked (${young.length})`} id="young-seen">
        {young.length ? (
          <table data-testid="young-table">
            <thead>
              <tr>
                <th scope="col">Young person</th>
                <th scope="col">Incidents</th>
                <th scope="col">Last seen</th>
                <th scope="col">Network</th>
              </tr>
            </thead>
            <tbody>
              {young.map((y) => (
                <tr key={`${y.as}${y.id}`}>
                  <th scope="row">
                    {seesPerson ? <a href={`/young-people/${y.id}`}>{`${y.first_name} ${y.last_name}`}</a> : `${y.first_name} ${y.last_name}`}
                    {y.as === 'Present' ? ' (present)' : ''}
                  </th>
                  <td>{y.incidents}</td>
                  <td>{formatTime(y.last_seen)}</td>
                  <td>
                    <a href={`/young-people/${y.id}/network`} aria-label={`Network of ${y.first_name} ${y.last_name}`}>
                      Network
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>None.</p>
        )}
      </Section>
      <Section title={`Persons of concern seen (${profile.persons_of_concern.length})`} id="concerns-seen">
        {profile.persons_of_concern.length ? (
          <table data-testid="concerns-table">
            <thead>
              <tr>
                <th scope="col">Person of concern</th>
                <th scope="col">Incidents</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {profile.persons_of_concern.map((c) => (
                <tr key={c.person.id}>
                  <th scope="row">{concernLabel(c.person)}</th>
                  <td>{c.incidents}</td>
                  <td>{formatTime(c.last_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p>None recorded.</p>
        )}
      </Section>
    </>
  );
}
