import { useRef, useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import { location, navigate } from '../router';
import { app, useStore } from '../state';
import { ErrorText, Loading } from '../ui/bits';
import { teamName } from '../ui/format';
import { useAsync, useTitle } from '../ui/hooks';
import { nightOf } from './HandoverQueue';

/**
 * The printable handover report: the server's own HTML report (GET /handover/report, behind the
 * bearer token, so it cannot be a plain link), shown in a sandboxed same-origin `srcdoc` frame.
 * The frame runs no script (no allow-scripts) and inherits this page's CSP, so the report's
 * stylesheet link (/api/v1/handover/report.css) is the only thing it loads.
 */
export function HandoverPrint() {
  useTitle('Handover report');
  const teams = useStore(app, (s) => s.me?.teams ?? []);
  const query = useStore(location, (l) => l.query);
  const team = query.get('team') || teams[0]?.slug || '';
  const night = query.get('night') || nightOf();
  const frame = useRef<HTMLIFrameElement>(null);
  const [error, setError] = useState<string | null>(null);
  const report = useAsync(
    (signal) =>
      team
        ? call<string>(`/handover/report?team=${encodeURIComponent(team)}&night=${encodeURIComponent(night)}`, { text: true, signal })
        : Promise.resolve(''),
    [team, night],
  );

  const go = (nextTeam: string, nextNight: string) =>
    navigate(`/handover/print?team=${encodeURIComponent(nextTeam)}&night=${encodeURIComponent(nextNight)}`, { replace: true });

  function print() {
    setError(null);
    try {
      frame.current?.contentWindow?.print();
    } catch (e) {
      setError(describeError(e));
    }
  }

  function download() {
    if (!report.data) return;
    const url = URL.createObjectURL(new Blob([report.data], { type: 'text/html' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `lantern-handover-${team}-${night}.html`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** Grow the frame to its report, so the page scrolls once, not twice. */
  function fit() {
    const el = frame.current;
    const height = el?.contentDocument?.documentElement?.scrollHeight;
    if (el && height) el.style.height = `${height + 24}px`;
  }

  return (
    <>
      <p class="back">
        <a href="/handover">← Handover</a>
      </p>
      <h1>Handover report</h1>
      <div class="stack inline">
        {teams.length > 1 ? (
          <>
            <label for="report-team">Team</label>
            <select id="report-team" value={team} onChange={(e) => go(e.currentTarget.value, night)}>
              {teams.map((t) => (
                <option key={t.slug} value={t.slug}>
                  {teamName(t)}
                </option>
              ))}
            </select>
          </>
        ) : null}
        <label for="report-night">Night of</label>
        <input id="report-night" type="date" value={night} onChange={(e) => e.currentTarget.value && go(team, e.currentTarget.value)} />
      </div>
      <div class="actions">
        <button type="button" class="primary" onClick={print} disabled={!report.data} data-testid="handover-print">
          Print
        </button>
        <button type="button" onClick={download} disabled={!report.data}>
          Download (HTML)
        </button>
      </div>
      {error ? <ErrorText>{error}</ErrorText> : null}
      {report.loading && !report.data ? <Loading what="the report" /> : null}
      {report.error ? <ErrorText>{report.error}</ErrorText> : null}
      {report.data ? (
        <iframe
          ref={frame}
          class="report-frame"
          title={`Handover report, night of ${night}`}
          sandbox="allow-same-origin allow-modals"
          srcdoc={report.data}
          onLoad={fit}
          data-testid="handover-report-frame"
        />
      ) : null}
    </>
  );
}
