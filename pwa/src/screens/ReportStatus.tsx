import { call } from '../api/client';
import type { IncidentStatus } from '../api/types';
import { incidentOf, useLive } from '../live';
import { ErrorText, Loading } from '../ui/bits';
import { formatTime, timelineDetail, timelineLabel } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';
import { CustodyEvents } from './incident/Updates';
import { statusText, steps } from './reportStatus';

/** One report's live response status, as police may see it. */
export function ReportStatus({ id }: { id: string }) {
  const status = useAsync((signal) => call<IncidentStatus>(`/incidents/${encodeURIComponent(id)}/status`, { signal }), [id]);
  const refetch = useDebounced(status.reload, 250);
  useLive((event) => {
    const about = incidentOf(event);
    if (!about || about === id) refetch();
  });
  const s = status.data;
  useTitle(s ? `Report ${s.reference}` : 'Report');
  return (
    <>
      <p class="back">
        <a href="/reports">← My station's reports</a>
      </p>
      <h1>{s ? `Report ${s.reference}` : 'Report'}</h1>
      {status.loading && !s ? <Loading what="the response status" /> : null}
      {status.error && !s ? <ErrorText>{status.error}</ErrorText> : null}
      {s ? (
        <section class="card" aria-label="Response status">
          <ol class="steps">
            {steps(s).map((step) => (
              <li key={step.label} class={step.done ? 'done' : ''}>
                <span aria-hidden="true">{step.done ? '✓' : '○'}</span> {step.label}
                <span class="sr-only">{step.done ? ' (done)' : ' (not yet)'}</span>
              </li>
            ))}
          </ol>
          <p class={`status-line${s.uncovered ? ' is-uncovered' : ''}`} aria-live="polite" data-testid="report-status">
            {statusText(s)}
          </p>
          {status.error ? <p class="hint">Could not refresh: {status.error}</p> : <p class="hint">Updates live.</p>}
        </section>
      ) : null}
      {s ? <CustodyEvents target={{ id, reference: s.reference, version: s.version }} onReload={status.reload} /> : null}
      {s?.timeline?.length ? (
        <section class="card" aria-labelledby="report-timeline-h">
          <h2 id="report-timeline-h">What has happened</h2>
          <ol class="timeline" data-testid="timeline">
            {s.timeline.map((e, n) => {
              const detail = timelineDetail(e.detail);
              return (
                <li key={`${e.at}-${n}`}>
                  <time dateTime={e.at}>{formatTime(e.at)}</time>
                  <span>
                    <strong>{timelineLabel(e.action)}</strong>
                    {detail ? <span class="detail"> — {detail}</span> : null}
                  </span>
                </li>
              );
            })}
          </ol>
        </section>
      ) : null}
    </>
  );
}
