import { useState } from 'preact/hooks';
import { call, describeError } from '../../api/client';
import type { AckAction, IncidentDetail } from '../../api/types';
import { announce } from '../../state';
import { ErrorText, Section } from '../../ui/bits';
import { ACTION_LABELS, formatTime } from '../../ui/format';

const ETAS = [10, 15, 20, 25, 30, 45, 60, 90, 120];
// A page is taken once (a second acknowledgement is a 409 naming who took it): only an incident
// still being paged, or that nobody was reached for, can be acknowledged.
const OPEN = new Set(['reported', 'paging', 'uncovered']);

/**
 * Acknowledge with the intended action, and ETA, in one tap. Sent straight away, not queued:
 * a queued acknowledgement would let the escalation run on while the worker believed it stopped.
 */
export function AckPanel({ incident, onDone }: { incident: IncidentDetail; onDone: () => void }) {
  const [eta, setEta] = useState(30);
  const [busy, setBusy] = useState<AckAction | null>(null);
  const [error, setError] = useState<string | null>(null);
  // "Cannot attend" pages the next level at once: asked twice, far from the other buttons.
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string | null>(null);

  async function acknowledge(action: AckAction) {
    setBusy(action);
    setError(null);
    try {
      await call(`/incidents/${encodeURIComponent(incident.id)}/acknowledge`, {
        method: 'POST',
        body: action === 'attending' ? { action, eta_minutes: eta } : { action },
      });
      const said =
        action === 'cannot_attend'
          ? 'Escalated: you cannot attend, so the next level is being paged now.'
          : `Acknowledged: ${ACTION_LABELS[action]}${action === 'attending' ? `, ETA ${eta} min` : ''}.`;
      setDone(said);
      setConfirming(false);
      announce(said);
      onDone();
    } catch (e) {
      if ((e as { status?: number }).status === 409) onDone();
      const text = describeError(e);
      setError(
        (e as { status?: number }).status === 0
          ? 'Not acknowledged: no connection. The page is still escalating — phone custody or the duty manager if you cannot get a signal.'
          : `Not acknowledged: ${text}`,
      );
    } finally {
      setBusy(null);
    }
  }

  const acked = incident.acknowledged_at;
  const open = OPEN.has(incident.state) || (Boolean(incident.uncovered) && !acked);
  return (
    <Section title="Respond" id="ack">
      {acked ? (
        <p class="notice ok" data-testid="ack-status">
          Acknowledged {formatTime(acked)}
          {incident.acknowledged_action ? ` · ${ACTION_LABELS[incident.acknowledged_action]}` : ''}
          {incident.eta_minutes ? `, ETA ${incident.eta_minutes} min` : ''}
        </p>
      ) : null}
      {open ? (
        <div class="stack">
          <label for="ack-eta">ETA if attending</label>
          <select id="ack-eta" value={String(eta)} onChange={(e) => setEta(Number(e.currentTarget.value))}>
            {ETAS.map((m) => (
              <option key={m} value={String(m)}>
                {m} min
              </option>
            ))}
          </select>
          <div class="ack-buttons">
            <button type="button" class="primary" data-testid="ack-attending" disabled={busy !== null} onClick={() => acknowledge('attending')}>
              {busy === 'attending' ? 'Sending…' : `Attending · ETA ${eta} min`}
            </button>
            <button type="button" class="primary" data-testid="ack-phoning" disabled={busy !== null} onClick={() => acknowledge('phoning')}>
              {busy === 'phoning' ? 'Sending…' : 'Phoning custody'}
            </button>
          </div>
          <div class="ack-escalate">
            {confirming ? (
              <div class="notice warn" role="group" aria-labelledby="escalate-question" data-testid="ack-confirm">
                <p id="escalate-question">Pass this page on? The next level is paged now and you are not asked again.</p>
                <div class="ack-confirm-buttons">
                  <button type="button" class="danger" data-testid="ack-cannot-attend-confirm" disabled={busy !== null} onClick={() => acknowledge('cannot_attend')}>
                    {busy === 'cannot_attend' ? 'Sending…' : 'Yes, escalate'}
                  </button>
                  <button type="button" data-testid="ack-cannot-attend-keep" disabled={busy !== null} onClick={() => setConfirming(false)}>
                    Keep it
                  </button>
                </div>
              </div>
            ) : (
              <button type="button" class="danger" data-testid="ack-cannot-attend" disabled={busy !== null} onClick={() => setConfirming(true)}>
                Cannot attend – escalate
              </button>
            )}
          </div>
        </div>
      ) : !acked ? (
        <p>No response is needed now.</p>
      ) : null}
      {done && !error ? (
        <p class="notice ok" role="status" data-testid="ack-done">
          {done}
        </p>
      ) : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </Section>
  );
}
