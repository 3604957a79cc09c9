import { useEffect } from 'preact/hooks';
import { call } from '../api/client';
import type { IncidentPage } from '../api/types';
import { useLive } from '../live';
import { Loading, Section, LoadError } from '../ui/bits';
import { formatTime, kindLabel, RECORD_STATE_LABELS } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';
import { useOutboxItems } from '../ui/useOutbox';
import { statusText } from './reportStatus';

/**
 * Custody staff: reports waiting on this device, and the station's reports with their live
 * response status. For police the list itself is the status view (state, acknowledgement, ETA),
 * refetched on every live event about the station's incidents.
 */
export function MyReports() {
  useTitle("My station's reports");
  const local = useOutboxItems((i) => i.kind === 'incident_report');
  const list = useAsync((signal) => call<IncidentPage>('/incidents', { signal }), []);
  const reload = useDebounced(list.reload, 300);
  useLive(reload);

  const items = list.data?.items ?? [];
  const waiting = local.filter((i) => i.state !== 'sent');
  const known = new Set(items.map((i) => i.id));
  const justSent = local.filter((i) => i.state === 'sent' && i.payload.result?.id && !known.has(i.payload.result.id));
  // A report this device just sent: fetch the list again so it shows with its live status.
  useEffect(() => {
    if (justSent.length) reload();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [justSent.length]);

  return (
    <>
      <h1>My station's reports</h1>
      <p>
        <a href="/report" class="button primary" data-testid="new-report">
          Report an incident
        </a>
      </p>
      {waiting.length ? (
        <Section title="On this device" id="local-reports">
          <ul class="plain" data-testid="local-reports">
            {waiting.map((item) => (
              <li key={item.id} class="row">
                <span>
                  <strong>{item.payload.label}</strong>
                  <br />
                  <small>Saved {formatTime(item.created_at)}</small>
                  {item.state === 'needs_attention' ? (
                    <small class="error-text">
                      <br />
                      Not accepted: {item.payload.problem?.title}
                      {item.payload.problem?.errors?.length ? ` (${item.payload.problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : ''}.{' '}
                      <a href={`/report?edit=${item.id}`}>Correct it</a>
                    </small>
                  ) : null}
                </span>
                <span class={`badge rec-${item.state}`}>{RECORD_STATE_LABELS[item.state]}</span>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
      <Section title="Reported from my station" id="station-reports">
        {list.loading && !list.data ? <Loading what="reports" /> : null}
        <LoadError state={list} what="reports" />
        {list.data && !items.length && !justSent.length ? <p>No reports yet.</p> : null}
        <ul class="cards" data-testid="station-reports">
          {justSent.map((item) => (
            <li key={item.id}>
              <a class="incident" href={`/reports/${item.payload.result!.id}`}>
                <span class="line1">
                  <strong>{item.payload.result?.reference ?? 'Report'}</strong>
                  <span class="badge rec-sent">Sent</span>
                </span>
                <span class="line2">{item.payload.label}</span>
              </a>
            </li>
          ))}
          {items.map((i) => (
            <li key={i.id}>
              <a class={`incident ${i.uncovered ? 'is-uncovered' : ''}`} href={`/reports/${i.id}`}>
                <span class="line1">
                  <strong>{i.reference}</strong>
                  <span class="line2">{kindLabel(i.kind)}</span>
                </span>
                <span class="line2" data-testid="report-status">
                  {statusText(i)}
                </span>
                <span class="line3">Reported {formatTime(i.reported_at)}</span>
              </a>
            </li>
          ))}
        </ul>
      </Section>
    </>
  );
}
