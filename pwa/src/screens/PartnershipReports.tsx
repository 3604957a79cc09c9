// The partnership reports for managers (its own chunk, loaded on first use): custody and youth
// justice per station and month, the response per team and month. Counts only, small numbers
// shown as "<5" by the API; each trend a hand-written SVG bar chart (the places screens' one)
// with its numbers as a table; each table also as a CSV download.
import { useEffect, useState } from 'preact/hooks';
import { call, describeError, download } from '../api/client';
import type { CustodyReport, ReportChoices, ReportRow, ReportTime, ResponseReport } from '../api/types';
import { ErrorText, LoadError, Loading, Section } from '../ui/bits';
import { useAsync, useTitle } from '../ui/hooks';
import { BarChart, Numbers } from './places/BarChart';

type Kind = 'custody' | 'response';
type AnyReport = CustodyReport | ResponseReport;

export function PartnershipReports() {
  useTitle('Partnership reports');
  // Printed, the charts' tables are printed too.
  useEffect(() => {
    const open = () => document.querySelectorAll<HTMLDetailsElement>('details.numbers').forEach((d) => (d.open = true));
    window.addEventListener('beforeprint', open);
    return () => window.removeEventListener('beforeprint', open);
  }, []);
  const choices = useAsync((signal) => call<ReportChoices>('/reports/choices', { signal }), []);
  const c = choices.data;
  return (
    <div class="partnership-reports">
      <h1>Partnership reports</h1>
      {choices.loading && !c ? <Loading what="the reports" /> : null}
      {!c ? <LoadError state={choices} what="the reports" /> : null}
      {c ? (
        <>
          <ReportSection kind="custody" title="Custody and youth justice" options={c.stations} pick="Station" month={c.current_month} />
          <ReportSection kind="response" title="Response" options={c.teams} pick="Team" month={c.current_month} />
        </>
      ) : null}
    </div>
  );
}

function ReportSection({
  kind,
  title,
  options,
  pick,
  month: current,
}: {
  kind: Kind;
  title: string;
  options: { slug: string; name: string }[];
  pick: string;
  month: string;
}) {
  const [slug, setSlug] = useState(options[0]?.slug ?? '');
  const [month, setMonth] = useState(current);
  const param = kind === 'custody' ? 'station' : 'team';
  const query = `${param}=${encodeURIComponent(slug)}&month=${encodeURIComponent(month)}`;
  const report = useAsync(
    (signal) => (slug && month ? call<AnyReport>(`/reports/${kind}?${query}`, { signal }) : Promise.resolve(null)),
    [kind, query],
  );
  const r = report.data;
  return (
    <Section title={title} id={`report-${kind}`}>
      <div class="report-pickers" data-testid={`${kind}-pickers`}>
        <label>
          {pick}
          <select value={slug} onChange={(e) => setSlug((e.target as HTMLSelectElement).value)} data-testid={`${kind}-${param}`}>
            {options.map((o) => (
              <option key={o.slug} value={o.slug}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Month
          <input
            type="month"
            value={month}
            max={current}
            onChange={(e) => {
              const value = (e.target as HTMLInputElement).value;
              if (/^\d{4}-\d{2}$/.test(value)) setMonth(value);
            }}
            data-testid={`${kind}-month`}
          />
        </label>
      </div>
      {!options.length ? <p>None of your teams gives you a {pick.toLowerCase()} to report on.</p> : null}
      {report.loading && !r ? <Loading what="the report" /> : null}
      <LoadError state={report} what="the report" />
      {r ? <ReportBody kind={kind} report={r} query={query} name={slug} /> : null}
    </Section>
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const COUNT_CHARTS: Record<Kind, string[]> = {
  custody: ['detained', 'held_overnight', 'refused_bail'],
  response: ['paged', 'uncovered', 'clock:missed'],
};
const TIME_CHARTS: Record<Kind, string[]> = {
  custody: ['hours_held', 'aa_wait'],
  response: ['ack_minutes', 'pickup_minutes'],
};

function ReportBody({ kind, report, query, name }: { kind: Kind; report: AnyReport; query: string; name: string }) {
  const labels = new Map(report.rows.map((row) => [row.key, row.label]));
  const timeLabels = new Map(report.times.map((t) => [t.key, t.label]));
  const shortMonth = (m: string) => MONTHS[Number(m.slice(5, 7)) - 1] ?? m;
  return (
    <div data-testid={`${kind}-report`}>
      <Figures rows={report.rows} kind={kind} />
      <Times times={report.times} kind={kind} />
      {'rota_gaps' in report ? (
        <p data-testid="rota-gaps">
          Rota gaps (out of hours, nobody on call at primary): {report.rota_gaps.stretches} stretches,{' '}
          {report.rota_gaps.hours} hours.
        </p>
      ) : null}
      <h3>The last 12 months</h3>
      {COUNT_CHARTS[kind].map((key) => (
        <figure class="chart" key={key}>
          <figcaption>{labels.get(key)}</figcaption>
          <BarChart
            points={report.trend.map((t) => ({ label: t.month, value: t.counts[key] ?? null }))}
            label={`${labels.get(key)} by month, the last 12 months; the table below has each month`}
            caption={`${labels.get(key)} by month`}
            head={['Month', 'Count']}
            tick={shortMonth}
            tickEvery={3}
            testid={`trend-${kind}-${key.replace(':', '-')}`}
          />
        </figure>
      ))}
      {TIME_CHARTS[kind].map((key) => (
        <figure class="chart" key={key}>
          <figcaption>Median: {timeLabels.get(key)}</figcaption>
          <BarChart
            points={report.trend.map((t) => ({ label: t.month, value: t.times[key] ?? null }))}
            label={`Median ${timeLabels.get(key)} by month; the table below has each month (none under 5 cases)`}
            caption={`Median ${timeLabels.get(key)} by month`}
            head={['Month', 'Median']}
            tick={shortMonth}
            tickEvery={3}
            testid={`trend-${kind}-${key}`}
          />
        </figure>
      ))}
      {'rota_gap_trend' in report ? (
        <figure class="chart">
          <figcaption>Rota gap hours</figcaption>
          <BarChart
            points={Object.entries(report.rota_gap_trend).map(([m, g]) => ({ label: m, value: g.hours }))}
            label="Hours out of hours with nobody on call at primary, by month; the table below has each month"
            caption="Rota gap hours by month"
            head={['Month', 'Hours']}
            tick={shortMonth}
            tickEvery={3}
            testid="trend-response-rota-gaps"
          />
        </figure>
      ) : null}
      <p class="note">{report.suppression}</p>
      <CsvLinks kind={kind} query={query} name={name} month={report.month} />
    </div>
  );
}

function Figures({ rows, kind }: { rows: ReportRow[]; kind: Kind }) {
  const [first] = rows;
  const ages = first ? Object.keys(first.age_band) : [];
  const sexes = first ? Object.keys(first.sex) : [];
  const groups = first ? Object.keys(first.ethnicity) : [];
  return (
    <>
      <table data-testid={`${kind}-figures`}>
        <caption class="sr-only">The month's figures</caption>
        <thead>
          <tr>
            <th scope="col">Figure</th>
            <th scope="col">Count</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} class={r.part_of ? 'part' : undefined}>
              <th scope="row">{r.part_of ? `– ${r.label}` : r.label}</th>
              <td>{r.total}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <details class="numbers breakdown">
        <summary>By age band, sex and ethnic group</summary>
        <div class="scroll-x">
          <Numbers
            caption="The month's figures by age band, sex and ethnic group"
            head={['Figure', ...ages.map((a) => `Age ${a.replace('_', '–')}`), ...sexes, ...groups, 'Total']}
            rows={rows.map((r) => [
              r.label,
              ...ages.map((a) => r.age_band[a]),
              ...sexes.map((s) => r.sex[s]),
              ...groups.map((g) => r.ethnicity[g]),
              r.total,
            ])}
            testid={`${kind}-breakdown`}
          />
        </div>
      </details>
    </>
  );
}

function Times({ times, kind }: { times: ReportTime[]; kind: Kind }) {
  return (
    <div class="scroll-x">
      <table data-testid={`${kind}-times`}>
        <caption class="sr-only">Times</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Cases</th>
            <th scope="col">Median</th>
            <th scope="col">
              <abbr title="90th percentile">P90</abbr>
            </th>
          </tr>
        </thead>
        <tbody>
          {times.map((t) => (
            <tr key={t.key}>
              <th scope="row">{t.label}</th>
              <td>{t.cases}</td>
              <td>{t.median ?? '–'}</td>
              <td>{t.p90 ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CsvLinks({ kind, query, name, month }: { kind: Kind; query: string; name: string; month: string }) {
  const [error, setError] = useState<string | null>(null);
  const save = (table: 'breakdown' | 'times' | 'trend') => async () => {
    setError(null);
    try {
      await download(`/reports/${kind}.csv?${query}&table=${table}`, `lantern-${kind}-${name}-${month}-${table}.csv`, 'text/csv');
    } catch (e) {
      setError(describeError(e));
    }
  };
  return (
    <div class="downloads" data-testid={`${kind}-csv`}>
      <button type="button" class="link" onClick={save('breakdown')} data-testid={`${kind}-csv-breakdown`}>
        CSV: figures
      </button>
      <button type="button" class="link" onClick={save('times')} data-testid={`${kind}-csv-times`}>
        CSV: times
      </button>
      <button type="button" class="link" onClick={save('trend')} data-testid={`${kind}-csv-trend`}>
        CSV: 12 months
      </button>
      {error ? <ErrorText>{error}</ErrorText> : null}
    </div>
  );
}
