import { useState } from 'preact/hooks';
import type { HandoverNote as Note } from '../../api/types';
import type { HandoverNoteBody, OutboxItem } from '../../outbox/types';
import { saveToOutbox } from '../../runtime';
import { ErrorText, Section } from '../../ui/bits';
import { formatTime, RECORD_STATE_LABELS } from '../../ui/format';
import { useOutboxItems } from '../../ui/useOutbox';

/**
 * Notes for the day team, saved through the outbox like an offer. Each note is its own record
 * (its UUID is the note id on the server), so a note written offline never overwrites another.
 */
export function HandoverNote({ incidentId, reference, serverNotes }: { incidentId: string; reference: string; serverNotes: Note[] }) {
  const local = useOutboxItems(
    (i) => i.payload.kind === 'handover_note' && 'incident_id' in i.payload && i.payload.incident_id === incidentId,
  );
  const serverIds = new Set(serverNotes.map((n) => n.id));
  const pending = local.filter((i) => i.state !== 'sent' || !serverIds.has(i.id));
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (!text.trim()) {
      setError('Write the note first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await saveToOutbox({
        kind: 'handover_note',
        incident_id: incidentId,
        label: `Handover note${reference ? ` · ${reference}` : ''}`,
        body: { text: text.trim() },
      });
      setText('');
    } catch {
      setError('Could not save on this device. Nothing was lost from the form: try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Handover notes for the day team" id="handover-note">
      {serverNotes.length || pending.length ? (
        <ul class="plain notes" data-testid="handover-notes">
          {serverNotes.map((n) => (
            <li key={n.id} class="row">
              <span>
                <span class="prose">{n.text}</span>
                <br />
                <small>
                  {n.recorded_by?.display_name ? `${n.recorded_by.display_name} · ` : ''}
                  {formatTime(n.updated_at ?? n.received_at)}
                </small>
              </span>
              <span class="badge rec-sent">Sent</span>
            </li>
          ))}
          {pending.map((item) => (
            <PendingNote key={item.id} item={item} />
          ))}
        </ul>
      ) : null}
      <form class="stack" onSubmit={submit} data-testid="handover-note-form">
        <label for="handover-note">What was done and why; what the day team should pick up</label>
        <textarea id="handover-note" rows={5} maxLength={10000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
        {error ? <ErrorText>{error}</ErrorText> : null}
        <button type="submit" class="primary" disabled={busy} data-testid="handover-note-save">
          {busy ? 'Saving…' : 'Save note'}
        </button>
      </form>
    </Section>
  );
}

function PendingNote({ item }: { item: OutboxItem }) {
  const body = item.payload.body as HandoverNoteBody | Record<string, never>;
  return (
    <li class="row" data-testid="handover-note-pending">
      <span>
        <span class="prose">{'text' in body ? body.text : item.payload.label}</span>
        <br />
        <small>Saved {formatTime(item.created_at)}</small>
        {item.state === 'needs_attention' ? (
          <small class="error-text">
            <br />
            {item.payload.problem?.title}. <a href="/outbox">Resolve in the outbox</a>
          </small>
        ) : null}
      </span>
      <span class={`badge rec-${item.state}`} data-testid="handover-note-state">
        {RECORD_STATE_LABELS[item.state]}
      </span>
    </li>
  );
}
