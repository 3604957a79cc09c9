// The weekly hub pack on the meeting screen: each young person who came through the hub's team
// this week (first time or repeat, missing episodes, new indicators, places and peers, open
// clocks, the NRM decision, decisions to follow up), the places against the four weeks before,
// and a form per young person to record the meeting's decision. The URL carries the hub's slug
// and the week only; the title never names a child.
import { useState } from 'preact/hooks';
import type { components } from '../../api/schema';
import { call, describeError, download } from '../../api/client';
import { announce } from '../../state';
import { ErrorText, LoadError, Loading, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync, useTitle } from '../../ui/hooks';

type Pack = components['schemas']['HubPack'];
type YoungPerson = components['schemas']['PackYoungPerson'];
type Decision = components['schemas']['DecisionOut'];
type PersonRef = components['schemas']['PersonRef'];

export const DECISION_KINDS: [string, string][] = [
  ['no_further_action', 'No further action'],
  ['programme_6_weeks', '6-week programme'],
  ['programme_12_weeks', '12-week programme'],
  ['strategy_discussion', 'Strategy discussion'],
  ['context_assessment', 'Context assessment'],
  ['disruption_action', 'Disruption action'],
];

function decisionText(d: Decision): string {
  const state = d.status !== 'outstanding' ? d.status : d.overdue ? 'overdue' : 'outstanding';
  return `${d.kind_label} · ${d.owner.display_name} · due ${d.due_on} · ${state}`;
}

function Decisions({ items, testid }: { items: Decision[]; testid: string }) {
  return (
    <ul class="plain" data-testid={testid}>
      {items.map((d) => (
        <li key={d.id} class={`row decision ${d.status}`}>
          <span>{decisionText(d)}</span>
          <span class="hint">{d.week}</span>
        </li>
      ))}
    </ul>
  );
}

export function HubPackScreen({ hub, week }: { hub: string; week: string }) {
  useTitle('Hub pack');
  const path = `/hubs/${encodeURIComponent(hub)}/packs/${encodeURIComponent(week)}`;
  const pack = useAsync((signal) => call<Pack>(path, { signal }), [path]);
  const owners = useAsync((signal) => call<PersonRef[]>(`/hubs/${encodeURIComponent(hub)}/owners`, { signal }), [hub]);
  const [downloadError, setDownloadError] = useState<string | null>(null);
  const p = pack.data;

  async function save(suffix: 'pdf' | 'csv') {
    setDownloadError(null);
    try {
      await download(`${path}.${suffix}`, `hub-pack-${hub}-${week}.${suffix}`, suffix === 'pdf' ? 'application/pdf' : 'text/csv');
    } catch (e) {
      setDownloadError(describeError(e));
    }
  }

  return (
    <>
      <h1>Hub pack</h1>
      {p ? (
        <p data-testid="pack-title">
          {p.hub.name} · {p.week} ({formatTime(p.starts_at)} to {formatTime(p.ends_at)})
        </p>
      ) : null}
      <p class="no-print actions">
        <a href={`/hubs/${encodeURIComponent(hub)}/${p?.previous_week ?? week}`}>Previous week</a>
        {p?.next_week ? <a href={`/hubs/${encodeURIComponent(hub)}/${p.next_week}`}>Next week</a> : null}
        <button type="button" onClick={() => void save('pdf')} disabled={!p}>
          PDF
        </button>
        <button type="button" onClick={() => void save('csv')} disabled={!p}>
          CSV
        </button>
      </p>
      {downloadError ? <ErrorText>{downloadError}</ErrorText> : null}
      {pack.loading && !p ? <Loading what="the pack" /> : null}
      {!p ? <LoadError state={pack} what="the pack" /> : null}
      {p ? (
        <>
          <Section title="Decisions to follow up" id="follow-ups">
            {p.follow_ups.length ? (
              <ul class="plain" data-testid="follow-ups">
                {p.follow_ups.map((d) => (
                  <li key={d.id} class={`row decision ${d.status}`}>
                    <span>{d.young_person_name}</span>
                    <span>{decisionText(d)}</span>
                  </li>
                ))}
              </ul>
            ) : (
              <p>No earlier decisions outstanding.</p>
            )}
          </Section>
          <Section title={`Young people (${p.young_people.length})`} id="young-people">
            {p.young_people.length ? null : <p>Nobody came through the hub this week.</p>}
            {p.young_people.map((yp) => (
              <Person key={yp.id} yp={yp} hub={hub} week={p.week} owners={owners.data ?? []} onSaved={pack.reload} />
            ))}
          </Section>
          <Section title="Places this week" id="places">
            {p.places.length ? (
              <table data-testid="pack-places">
                <caption>Incidents this week against the four weeks before (oldest first)</caption>
                <thead>
                  <tr>
                    <th scope="col">Place</th>
                    <th scope="col">This week</th>
                    <th scope="col">Four weeks before</th>
                    <th scope="col">Change</th>
                  </tr>
                </thead>
                <tbody>
                  {p.places.map((pl) => (
                    <tr key={pl.id}>
                      <th scope="row">
                        <a href={`/places/${pl.id}`}>{pl.name}</a>
                      </th>
                      <td>{pl.incidents}</td>
                      <td>{pl.previous_weeks.join(', ')}</td>
                      <td>{pl.change > 0 ? `+${pl.change.toFixed(2)}` : pl.change.toFixed(2)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p>No incidents at known places this week.</p>
            )}
          </Section>
        </>
      ) : null}
    </>
  );
}

function Person({ yp, hub, week, owners, onSaved }: { yp: YoungPerson; hub: string; week: string; owners: PersonRef[]; onSaved: () => void }) {
  const name = `${yp.first_name} ${yp.last_name}`;
  return (
    <article class="card" data-testid="pack-person" aria-label={name}>
      <h3>
        {name} <span class={`badge ${yp.status}`}>{yp.status === 'repeat' ? 'Repeat' : 'First time'}</span>
      </h3>
      <dl>
        <dt>This week</dt>
        <dd>
          {yp.incidents.map((i) => (
            <div key={i.id}>
              {i.reference} · {formatTime(i.occurred_at)} · {i.place ? <a href={`/places/${i.place.id}`}>{i.place.name}</a> : i.location}
            </div>
          ))}
        </dd>
        <dt>Missing episodes</dt>
        <dd>
          {yp.missing_episodes_30d} in 30 days, {yp.missing_episodes_90d} in 90 days
        </dd>
        <dt>New indicators</dt>
        <dd>{yp.new_indicators.length ? yp.new_indicators.map((i) => i.label).join('; ') : 'None new'}</dd>
        <dt>Places</dt>
        <dd data-testid="person-places">
          {yp.places.length
            ? yp.places.map((pl, n) => (
                <span key={pl.id}>
                  {n ? '; ' : ''}
                  <a href={`/places/${pl.id}`}>{pl.name}</a> ({pl.incidents})
                </span>
              ))
            : 'None recorded'}
        </dd>
        <dt>Peers</dt>
        <dd data-testid="person-peers">
          {yp.peers.length ? yp.peers.map((peer) => `${peer.first_name} ${peer.last_name} (${peer.incidents})`).join('; ') : 'None recorded'}{' '}
          <a href={`/young-people/${yp.id}/network`}>Network</a>
        </dd>
        <dt>Persons of concern</dt>
        <dd>{yp.persons_of_concern.length ? yp.persons_of_concern.map((c) => c.person.nickname ?? c.person.vehicle ?? c.person.description ?? 'Unnamed').join('; ') : 'None recorded'}</dd>
        <dt>Open clocks</dt>
        <dd>{yp.open_clocks.length ? yp.open_clocks.map((c) => `${c.label} (due ${formatTime(c.due_at)}, ${c.status})`).join('; ') : 'None'}</dd>
        <dt>NRM</dt>
        <dd>{yp.nrm.length ? yp.nrm.map((n) => `${n.incident_reference}: ${n.decision ? n.decision.replace('_', ' ') : 'not yet decided'}`).join('; ') : 'No NRM action'}</dd>
      </dl>
      {yp.actions.length ? (
        <>
          <h4>Earlier decisions</h4>
          <Decisions items={yp.actions} testid="person-actions" />
        </>
      ) : null}
      {yp.decisions.length ? (
        <>
          <h4>Decided at this meeting</h4>
          <Decisions items={yp.decisions} testid="person-decisions" />
        </>
      ) : null}
      <DecisionForm yp={yp} name={name} hub={hub} week={week} owners={owners} onSaved={onSaved} />
    </article>
  );
}

function DecisionForm({ yp, name, hub, week, owners, onSaved }: { yp: YoungPerson; name: string; hub: string; week: string; owners: PersonRef[]; onSaved: () => void }) {
  const [kind, setKind] = useState('');
  const [owner, setOwner] = useState('');
  const [due, setDue] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = `decide-${yp.id}`;

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = { young_person_id: yp.id, kind, owner_id: owner, due_on: due, week };
      if (note.trim()) body.note = note.trim();
      await call(`/hubs/${encodeURIComponent(hub)}/decisions`, { method: 'POST', body });
      announce('Decision recorded; the owner has a clock for it.');
      setKind('');
      setOwner('');
      setDue('');
      setNote('');
      onSaved();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack card inset" onSubmit={submit} data-testid="decision-form" aria-label={`Record a decision for ${name}`}>
      <h4>Record a decision</h4>
      <label for={`${id}-kind`}>Decision</label>
      <select id={`${id}-kind`} required value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
        <option value="">Choose…</option>
        {DECISION_KINDS.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      <label for={`${id}-owner`}>Owner</label>
      <select id={`${id}-owner`} required value={owner} onChange={(e) => setOwner(e.currentTarget.value)}>
        <option value="">Choose…</option>
        {owners.map((o) => (
          <option key={o.id} value={o.id}>
            {o.display_name}
          </option>
        ))}
      </select>
      <label for={`${id}-due`}>Due date (a clock in the owner's queue, due 17:00)</label>
      <input id={`${id}-due`} type="date" required value={due} onInput={(e) => setDue(e.currentTarget.value)} />
      <label for={`${id}-note`}>Note (optional)</label>
      <textarea id={`${id}-note`} maxLength={2000} rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Record decision'}
      </button>
    </form>
  );
}
