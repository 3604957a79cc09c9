import { useState } from 'preact/hooks';
import type { OutboxItem } from '../outbox/types';
import { getLocal, syncNow } from '../runtime';
import { announce, app, useStore } from '../state';
import { Section } from '../ui/bits';
import { formatTime, OUTCOME_LABELS, RECORD_STATE_LABELS } from '../ui/format';
import { useTitle } from '../ui/hooks';
import { useOutboxItems } from '../ui/useOutbox';

/** Everything on this device waiting to be sent, and what needs a person's decision. */
export function OutboxScreen() {
  useTitle('Outbox');
  const items = useOutboxItems();
  const online = useStore(app, (s) => s.online);
  const [busy, setBusy] = useState(false);
  const attention = items.filter((i) => i.state === 'needs_attention');
  const waiting = items.filter((i) => i.state === 'saved' || i.state === 'sending');
  const sent = items.filter((i) => i.state === 'sent');

  async function sendNow() {
    setBusy(true);
    try {
      await syncNow({ force: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>Outbox</h1>
      <p>
        Records are saved here, encrypted, before they are sent, and stay until the server has them. Nothing is
        dropped: a record the server refused waits below for your decision.
      </p>
      <div class="actions">
        <button type="button" class="primary" onClick={sendNow} disabled={busy || !waiting.length} data-testid="outbox-send">
          {busy ? 'Sending…' : online ? 'Send now' : 'Send now (offline)'}
        </button>
      </div>
      <Section title={`Needs attention (${attention.length})`} id="attention">
        {attention.length ? (
          <ul class="plain" data-testid="outbox-attention">
            {attention.map((i) => (
              <AttentionItem key={i.id} item={i} />
            ))}
          </ul>
        ) : (
          <p>Nothing needs your attention.</p>
        )}
      </Section>
      <Section title={`Waiting to be sent (${waiting.length})`} id="waiting">
        {waiting.length ? (
          <ul class="plain" data-testid="outbox-waiting">
            {waiting.map((i) => (
              <li key={i.id} class="row">
                <span>
                  <strong>{i.payload.label}</strong>
                  <br />
                  <small>
                    Saved {formatTime(i.created_at)}
                    {i.attempts ? ` · tried ${i.attempts} time${i.attempts === 1 ? '' : 's'}${i.payload.problem ? ` (${i.payload.problem.title})` : ''}; next try ${formatTime(i.next_attempt_at)}` : ''}
                  </small>
                </span>
                <span class={`badge rec-${i.state}`}>{RECORD_STATE_LABELS[i.state]}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p>Nothing waiting.</p>
        )}
      </Section>
      {sent.length ? (
        <Section title="Sent recently" id="sent">
          <ul class="plain">
            {sent.map((i) => (
              <li key={i.id} class="row">
                <span>
                  {i.payload.label}
                  {i.payload.result?.reference ? ` · ${i.payload.result.reference}` : ''}
                </span>
                <span class="badge rec-sent">Sent</span>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
    </>
  );
}

function AttentionItem({ item }: { item: OutboxItem }) {
  const [confirm, setConfirm] = useState(false);
  const outbox = getLocal().outbox;
  const p = item.payload;
  // 409: another version is stored; 412: it changed again since the version we meant to replace.
  const conflict = p.problem?.status === 409 || p.problem?.status === 412;
  const update = p.kind === 'incident_update';
  const current = p.server_current as { outcome?: keyof typeof OUTCOME_LABELS; notes?: string; text?: string } | undefined;

  async function again(overwrite = false) {
    await outbox.retry(item.id, { overwrite });
    announce('Trying again.');
    void syncNow();
  }

  async function discard() {
    await outbox.discard(item.id);
    announce('Record discarded.');
  }

  return (
    <li class="card attention" data-testid="attention-item">
      <p>
        <strong>{p.label}</strong> · saved {formatTime(item.created_at)}
      </p>
      <p class="error-text">
        {conflict
          ? update
            ? 'The incident was changed by someone else after you made this update; nothing of yours was applied.'
            : 'Someone saved a different version on the server.'
          : `Not accepted: ${p.problem?.title ?? 'refused by the server'}`}
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
      {conflict ? (
        <p>
          Server version {p.server_version ?? 'unknown'}
          {current?.outcome ? `: ${OUTCOME_LABELS[current.outcome] ?? current.outcome}` : ''}
          {current?.notes ? ` — ${current.notes}` : ''}
          {current?.text ? `: ${current.text}` : ''}
        </p>
      ) : null}
      <div class="actions">
        {conflict && update ? (
          <a class="button" href={`/incidents/${p.incident_id}`}>
            Open the incident to check
          </a>
        ) : null}
        {conflict ? (
          <button type="button" class="primary" onClick={() => again(true)} disabled={!p.server_version}>
            {update ? 'Send again on the new version' : "Replace the server's version with mine"}
          </button>
        ) : null}
        {p.kind === 'incident_report' ? (
          <a class="button primary" href={`/report?edit=${item.id}`}>
            Correct and send again
          </a>
        ) : null}
        {!conflict ? (
          <button type="button" onClick={() => again(false)}>
            Try again
          </button>
        ) : null}
        {confirm ? (
          <>
            <button type="button" class="danger" onClick={discard} data-testid="discard-confirm">
              Discard for good
            </button>
            <button type="button" onClick={() => setConfirm(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" class="danger" onClick={() => setConfirm(true)}>
            {conflict ? 'Keep the server version (discard mine)…' : 'Discard…'}
          </button>
        )}
      </div>
    </li>
  );
}
