import { useState } from 'preact/hooks';
import type { HandoverNoteBody } from '../../outbox/types';
import { saveToOutbox } from '../../runtime';
import { ErrorText, Section } from '../../ui/bits';
import { RECORD_STATE_LABELS } from '../../ui/format';
import { useOutboxItems } from '../../ui/useOutbox';

/** The note for the day team, saved through the outbox like an offer. */
export function HandoverNote({ incidentId, reference, current }: { incidentId: string; reference: string; current: string }) {
  const local = useOutboxItems(
    (i) => i.payload.kind === 'handover_note' && 'incident_id' in i.payload && i.payload.incident_id === incidentId,
  );
  const latest = local[local.length - 1];
  const latestText = latest && latest.state !== 'sent' ? (latest.payload.body as HandoverNoteBody).note : undefined;
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const value = note ?? latestText ?? current;

  async function submit(event: Event) {
    event.preventDefault();
    if (!value.trim()) {
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
        body: { note: value.trim() },
      });
      setNote(null);
    } catch {
      setError('Could not save on this device. Try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Handover note for the day team" id="handover-note">
      <form class="stack" onSubmit={submit} data-testid="handover-note-form">
        <label for="handover-note">What was done and why; what the day team should pick up</label>
        <textarea id="handover-note" rows={5} maxLength={4000} value={value} onInput={(e) => setNote(e.currentTarget.value)} />
        {latest ? (
          <p class="hint" data-testid="handover-note-state">
            Last saved note: <span class={`badge rec-${latest.state}`}>{RECORD_STATE_LABELS[latest.state]}</span>
          </p>
        ) : null}
        {error ? <ErrorText>{error}</ErrorText> : null}
        <button type="submit" class="primary" disabled={busy} data-testid="handover-note-save">
          {busy ? 'Saving…' : 'Save note'}
        </button>
      </form>
    </Section>
  );
}
