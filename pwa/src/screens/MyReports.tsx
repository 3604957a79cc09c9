import { useEffect, useState } from 'preact/hooks';
import { call } from '../api/client';
import type { IncidentStatus, IncidentSummary, Page } from '../api/types';
import { incidentOf, useLive } from '../live';
import { ErrorText, Loading, Section } from '../ui/bits';
import { formatTime, kindLabel, RECORD_STATE_LABELS } from '../ui/format';
import { useAsync, useDebounced, useTitle } from '../ui/hooks';
import { useOutboxItems } from '../ui/useOutbox';
import { ACTIVE, statusText } from './reportStatus';

const MAX_LIVE = 20;

/** Custody staff: reports waiting on this device, and the station's reports with live status. */
export function MyReports() {
  useTitle("My station's reports");
  const local = useOutboxItems((i) => i.kind === 'incident_report');
  const list = useAsync((signal) => call<Page<IncidentSummary>>('/incidents', { signal }), []);
  const [statuses, setStatuses] = useState<Record<string, IncidentStatus>>({});
  const reload = useDebounced(list.reload, 400);

  const items = list.data?.items ?? [];
  const live = items.filter((i) => ACTIVE.has(i.state)).slice(0, MAX_LIVE);

  async function fetchStatus(id: string) {
    try {
      const s = await call<IncidentStatus>(`/incidents/${encodeURIComponent(id)}/status`);
      setStatuses((all) => ({ ...all, [id]: s }));
    } catch {
      /* keep the last known status */
    }
  }

  useEffect(() => {
    for (const i of live) void fetchStatus(i.id);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [list.data]);

  useLive((event) => {
    const id = incidentOf(event);
    if (id && items.some((i) => i.id === id)) void fetchStatus(id);
    else reload();
  });

  const waiting = local.filter((i) => i.state !== 'sent');
  const known = new Set(items.map((i) => i.id));
  const justSent = local.filter((i) => i.state === 'sent' && i.payload.result?.id && !known.has(i.payload.result.id));

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
        {list.error ? <ErrorText>{list.error}</ErrorText> : null}
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
          {items.map((i) => {
            const s = statuses[i.id];
            return (
              <li key={i.id}>
                <a class={`incident ${s?.uncovered ? 'is-uncovered' : ''}`} href={`/reports/${i.id}`}>
                  <span class="line1">
                    <strong>{i.reference}</strong>
                    <span class="line2">{kindLabel(i.kind)}</span>
                  </span>
                  <span class="line2" data-testid="report-status">
                    {s ? statusText(s) : statusText({ reference: i.reference, state: i.state, acknowledged_at: i.acknowledged_at ?? null, acknowledged_action: i.acknowledged_action ?? null, eta_minutes: i.eta_minutes ?? null, uncovered: Boolean(i.uncovered) })}
                  </span>
                  <span class="line3">{formatTime(i.occurred_at ?? i.reported_at)}</span>
                </a>
              </li>
            );
          })}
        </ul>
      </Section>
    </>
  );
}
