// Changes to an incident after intake, through the outbox: custody events (police of the
// station, on the report's status page) and indicators disclosed to a worker (incident page).
// Saved on the device first, sent with If-Match and an Idempotency-Key. A 412 (someone changed
// the incident meanwhile) is shown here, plainly, with a way to reload and send again.
import { useState } from 'preact/hooks';
import type { Indicator } from '../../api/types';
import { indicators as indicatorCatalogue, type Catalogue } from '../../offline/catalogue';
import type { IncidentUpdateBody, OutboxItem } from '../../outbox/types';
import {
  CUSTODY_EVENTS,
  CUSTODY_EVENT_LABELS,
  type CustodyEvent,
  custodyEventDraft,
  describeUpdate,
  disclosureDraft,
  troubleOf,
} from '../../outbox/updates';
import { getLocal, saveToOutbox, syncNow } from '../../runtime';
import { announce } from '../../state';
import { ErrorText, Loading, Section } from '../../ui/bits';
import { RECORD_STATE_LABELS, formatTime, localInputToIso, nowForInput } from '../../ui/format';
import { useAsync } from '../../ui/hooks';
import { useOutboxItems } from '../../ui/useOutbox';

interface Target {
  id: string;
  reference: string;
  /** The version this page shows (its ETag): what an update saved now is made on. */
  version: number | undefined;
}

/** This device's updates of the incident that the server has not taken yet. */
export function PendingUpdates({
  incidentId,
  onReload,
  labelOf = (c) => c,
}: {
  incidentId: string;
  onReload: () => void;
  labelOf?: (code: string) => string;
}) {
  const items = useOutboxItems(
    (i) => i.payload.kind === 'incident_update' && i.payload.incident_id === incidentId && i.state !== 'sent',
  );
  if (!items.length) return null;
  return (
    <ul class="plain" data-testid="pending-updates">
      {items.map((item) => (
        <PendingUpdate key={item.id} item={item} onReload={onReload} labelOf={labelOf} />
      ))}
    </ul>
  );
}

function PendingUpdate({ item, onReload, labelOf }: { item: OutboxItem; onReload: () => void; labelOf: (code: string) => string }) {
  const [confirm, setConfirm] = useState(false);
  const trouble = troubleOf(item);
  const p = item.payload;
  const body = p.body as IncidentUpdateBody;

  async function sendAgain(onServerVersion: boolean) {
    await getLocal().outbox.retry(item.id, { overwrite: onServerVersion });
    announce('Sending again.');
    void syncNow({ force: true });
  }

  async function discard() {
    await getLocal().outbox.discard(item.id);
    announce('Update discarded.');
  }

  return (
    <li class={trouble ? 'card attention' : 'row'} data-testid="pending-update" data-state={item.state}>
      <span>
        <strong>{describeUpdate(body, labelOf) || p.label}</strong>
        <br />
        <small>Saved {formatTime(item.created_at)}</small>
      </span>
      {trouble?.stale ? (
        <div role="alert" data-testid="update-conflict">
          <p class="error-text">
            Not sent: this incident was changed by someone else after you opened it (you saw version {trouble.madeOn}
            {trouble.serverVersion ? `; it is now version ${trouble.serverVersion}` : ''}). Nothing of yours was
            applied.
          </p>
          <p>Reload to see what changed. If your update still stands, send it again on the new version.</p>
          <div class="actions">
            <button type="button" onClick={onReload} data-testid="update-reload">
              Reload the incident
            </button>
            <button
              type="button"
              class="primary"
              onClick={() => sendAgain(true)}
              disabled={!trouble.serverVersion}
              data-testid="update-retry"
            >
              Send again on the new version
            </button>
          </div>
        </div>
      ) : trouble ? (
        <div role="alert">
          <p class="error-text">
            Not accepted: {p.problem?.title ?? 'refused by the server'}
            {p.problem?.detail ? ` — ${p.problem.detail}` : ''}
          </p>
          {p.problem?.errors?.length ? (
            <ul>
              {p.problem.errors.map((e) => (
                <li key={e.field}>
                  {e.field}: {e.message}
                </li>
              ))}
            </ul>
          ) : null}
          <div class="actions">
            <button type="button" onClick={() => sendAgain(false)}>
              Try again
            </button>
          </div>
        </div>
      ) : (
        <span class={`badge rec-${item.state}`}>{RECORD_STATE_LABELS[item.state]}</span>
      )}
      {trouble ? (
        confirm ? (
          <div class="actions">
            <button type="button" class="danger" onClick={discard}>
              Discard for good
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Keep it
            </button>
          </div>
        ) : (
          <div class="actions">
            <button type="button" class="danger" onClick={() => setConfirm(true)}>
              Discard…
            </button>
          </div>
        )
      ) : null}
    </li>
  );
}

/** Police of the station record what happened in custody after the report. */
export function CustodyEvents({ target, onReload }: { target: Target; onReload: () => void }) {
  const [event, setEvent] = useState<CustodyEvent | ''>('');
  const [at, setAt] = useState(nowForInput());
  const [bailRefused, setBailRefused] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!event) {
      setError('Choose what happened.');
      return;
    }
    if (target.version === undefined) {
      setError('Open this report once with a signal first: Lantern needs its current version.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await saveToOutbox(
        custodyEventDraft({ id: target.id, reference: target.reference, version: target.version }, event, localInputToIso(at), {
          bailRefused,
        }),
      );
      setEvent('');
      setBailRefused(false);
      setAt(nowForInput());
    } catch {
      setError('Could not save on this device. Nothing was lost from the form: try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Custody events" id="custody-events">
      <PendingUpdates incidentId={target.id} onReload={onReload} />
      <form class="stack" onSubmit={submit} data-testid="custody-form" aria-label="Record a custody event">
        <label for="custody-event">What happened</label>
        <select
          id="custody-event"
          value={event}
          onChange={(e) => {
            setEvent(e.currentTarget.value as CustodyEvent | '');
            setBailRefused(false);
          }}
        >
          <option value="">Choose…</option>
          {CUSTODY_EVENTS.map((c) => (
            <option key={c} value={c}>
              {CUSTODY_EVENT_LABELS[c]}
            </option>
          ))}
        </select>
        {event === 'charged' ? (
          <label class="choice">
            <input type="checkbox" checked={bailRefused} onChange={(e) => setBailRefused(e.currentTarget.checked)} />
            Bail refused (the local authority must be asked to accommodate: PACE s38(6))
          </label>
        ) : null}
        {event && event !== 'bail_refused' ? (
          <>
            <label for="custody-at">{event === 'detained' ? 'Detained at' : 'At'}</label>
            <input id="custody-at" type="datetime-local" value={at} onInput={(e) => setAt(e.currentTarget.value)} required />
          </>
        ) : null}
        {error ? <ErrorText>{error}</ErrorText> : null}
        <button type="submit" class="primary" disabled={busy} data-testid="custody-save">
          {busy ? 'Saving…' : 'Record event'}
        </button>
        <p class="hint">Saved on this device first and sent as soon as there is a signal.</p>
      </form>
    </Section>
  );
}

/** A worker adds what the young person disclosed to them; triage runs again on the server. */
export function Disclosures({ target, onReload }: { target: Target; onReload: () => void }) {
  const catalogue = useAsync<Catalogue<Indicator>>(() => indicatorCatalogue(), []);
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const labelOf = (c: string) => catalogue.data?.items.find((i) => i.code === c)?.label ?? c;

  async function submit(e: Event) {
    e.preventDefault();
    if (!code) {
      setError('Choose what was disclosed.');
      return;
    }
    if (target.version === undefined) {
      setError('Open this incident once with a signal first: Lantern needs its current version.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await saveToOutbox(
        disclosureDraft({ id: target.id, reference: target.reference, version: target.version }, [code], labelOf),
      );
      setCode('');
    } catch {
      setError('Could not save on this device. Nothing was lost from the form: try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Disclosed to you" id="disclosures">
      <PendingUpdates incidentId={target.id} onReload={onReload} labelOf={labelOf} />
      {catalogue.loading && !catalogue.data ? <Loading what="the indicators" /> : null}
      {catalogue.error && !catalogue.data ? (
        <ErrorText>The indicator list is not on this device yet. Open Lantern once with a signal to fetch it.</ErrorText>
      ) : null}
      {catalogue.data ? (
        <form class="stack" onSubmit={submit} data-testid="disclosure-form" aria-label="Add a disclosed indicator">
          <label for="disclosure-code">Indicator the young person disclosed to you</label>
          <select id="disclosure-code" value={code} onChange={(e) => setCode(e.currentTarget.value)}>
            <option value="">Choose…</option>
            {catalogue.data.items.map((i) => (
              <option key={i.code} value={i.code}>
                {i.label}
              </option>
            ))}
          </select>
          {error ? <ErrorText>{error}</ErrorText> : null}
          <button type="submit" class="primary" disabled={busy} data-testid="disclosure-save">
            {busy ? 'Saving…' : 'Add as disclosed'}
          </button>
          <p class="hint">Triage runs again when it reaches Lantern: a team it now routes to is paged.</p>
        </form>
      ) : null}
    </Section>
  );
}
