import { useState } from 'preact/hooks';
import type { OfferKind, SupportOffer } from '../../api/types';
import { offerKinds, type Catalogue } from '../../offline/catalogue';
import type { OfferOutcome, OutboxItem, SupportOfferBody } from '../../outbox/types';
import { saveToOutbox } from '../../runtime';
import { ErrorText, Loading, Section } from '../../ui/bits';
import { OUTCOME_LABELS, RECORD_STATE_LABELS, formatTime, localInputToIso, nowForInput } from '../../ui/format';
import { useAsync } from '../../ui/hooks';
import { useOutboxItems } from '../../ui/useOutbox';

const OUTCOMES: OfferOutcome[] = ['accepted', 'declined', 'not_possible'];
// A child cannot decline an appropriate adult (PACE Code C): requested, attended or none available.
const APPROPRIATE_ADULT_OUTCOMES: OfferOutcome[] = ['requested', 'attended', 'not_available'];

function outcomesOf(kind: OfferKind | undefined): OfferOutcome[] {
  if (kind?.outcomes?.length) return kind.outcomes;
  return kind?.code === 'appropriate_adult' ? APPROPRIATE_ADULT_OUTCOMES : OUTCOMES;
}

/** Support offered at the station: the list (server and this device) and the form. */
export function Offers({ incidentId, reference, serverOffers }: { incidentId: string; reference: string; serverOffers: SupportOffer[] }) {
  const kinds = useAsync<Catalogue<OfferKind>>(() => offerKinds(), []);
  const local = useOutboxItems(
    (i) => i.payload.kind === 'support_offer' && 'incident_id' in i.payload && i.payload.incident_id === incidentId,
  );
  const labelOf = (code: string) => kinds.data?.items.find((k) => k.code === code)?.label ?? code.replace(/_/g, ' ');
  const serverIds = new Set(serverOffers.map((o) => o.id));
  const pending = local.filter((i) => i.state !== 'sent' || !serverIds.has(i.id));

  return (
    <Section title="Support offered" id="offers">
      {serverOffers.length || pending.length ? (
        <ul class="plain offers" data-testid="offer-list">
          {serverOffers.map((o) => (
            <li key={o.id} class="row">
              <span>
                <strong>{o.kind_label ?? labelOf(o.kind)}</strong> · {OUTCOME_LABELS[o.outcome] ?? o.outcome}
                <br />
                <small>
                  {formatTime(o.offered_at)}
                  {o.recorded_by?.display_name ? ` · ${o.recorded_by.display_name}` : ''}
                  {o.notes ? ` · ${o.notes}` : ''}
                </small>
              </span>
              <span class="badge rec-sent">Sent</span>
            </li>
          ))}
          {pending.map((item) => (
            <PendingOffer key={item.id} item={item} labelOf={labelOf} />
          ))}
        </ul>
      ) : (
        <p>No support recorded yet.</p>
      )}
      {kinds.loading && !kinds.data ? <Loading what="the kinds of support" /> : null}
      {kinds.error && !kinds.data ? (
        <ErrorText>The list of kinds of support is not on this device yet. Open Lantern once with a signal to fetch it.</ErrorText>
      ) : null}
      {kinds.data ? <OfferForm incidentId={incidentId} reference={reference} kinds={kinds.data.items} /> : null}
    </Section>
  );
}

function PendingOffer({ item, labelOf }: { item: OutboxItem; labelOf: (code: string) => string }) {
  const body = item.payload.body as SupportOfferBody | Record<string, never>;
  return (
    <li class="row" data-testid="offer-pending">
      <span>
        <strong>{'kind' in body ? labelOf(body.kind) : item.payload.label}</strong>
        {'outcome' in body ? ` · ${OUTCOME_LABELS[body.outcome]}` : ''}
        <br />
        <small>
          {'offered_at' in body ? formatTime(body.offered_at) : formatTime(item.created_at)}
          {'notes' in body && body.notes ? ` · ${body.notes}` : ''}
        </small>
        {item.state === 'needs_attention' ? (
          <small class="error-text">
            <br />
            {item.payload.problem?.title}. <a href="/outbox">Resolve in the outbox</a>
          </small>
        ) : null}
      </span>
      <span class={`badge rec-${item.state}`}>{RECORD_STATE_LABELS[item.state]}</span>
    </li>
  );
}

function OfferForm({ incidentId, reference, kinds }: { incidentId: string; reference: string; kinds: OfferKind[] }) {
  const [kind, setKind] = useState('');
  const [outcome, setOutcome] = useState<OfferOutcome | ''>('');
  const [notes, setNotes] = useState('');
  const [offeredAt, setOfferedAt] = useState(nowForInput());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const notesRequired = Boolean(kinds.find((k) => k.code === kind)?.notes_required);
  const outcomes = outcomesOf(kinds.find((k) => k.code === kind));

  async function submit(event: Event) {
    event.preventDefault();
    if (!kind || !outcome) {
      setError(!kind ? 'Choose the kind of support offered.' : "Choose the young person's answer.");
      return;
    }
    if (notesRequired && !notes.trim()) {
      setError('Describe the support in the notes.');
      document.getElementById('offer-notes')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body: SupportOfferBody = { kind, outcome, offered_at: localInputToIso(offeredAt) };
      if (notes.trim()) body.notes = notes.trim();
      const label = kinds.find((k) => k.code === kind)?.label ?? kind;
      await saveToOutbox({
        kind: 'support_offer',
        incident_id: incidentId,
        label: `Support offer · ${label}${reference ? ` · ${reference}` : ''}`,
        body,
      });
      setKind('');
      setOutcome('');
      setNotes('');
      setOfferedAt(nowForInput());
    } catch {
      setError('Could not save on this device. Nothing was lost from the form: try again.');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack" onSubmit={submit} data-testid="offer-form" aria-label="Record support offered">
      <h3>Record support offered</h3>
      <label for="offer-kind">Kind of support</label>
      <select id="offer-kind" value={kind} onChange={(e) => {
          setKind(e.currentTarget.value);
          setOutcome('');
        }} required>
        <option value="">Choose…</option>
        {kinds.map((k) => (
          <option key={k.code} value={k.code}>
            {k.label}
          </option>
        ))}
      </select>
      <fieldset>
        <legend>Young person's answer</legend>
        <div class="choices">
          {outcomes.map((o) => (
            <label key={o} class="choice">
              <input type="radio" name="offer-outcome" value={o} checked={outcome === o} onChange={() => setOutcome(o)} />
              {OUTCOME_LABELS[o]}
            </label>
          ))}
        </div>
      </fieldset>
      <label for="offer-notes">{notesRequired ? 'Notes (required for this kind)' : 'Notes (optional)'}</label>
      <textarea id="offer-notes" rows={3} maxLength={4000} required={notesRequired} value={notes} onInput={(e) => setNotes(e.currentTarget.value)} />
      <label for="offer-at">Offered at</label>
      <input id="offer-at" type="datetime-local" value={offeredAt} onInput={(e) => setOfferedAt(e.currentTarget.value)} required />
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy} data-testid="offer-save">
        {busy ? 'Saving…' : 'Save offer'}
      </button>
      <p class="hint">Saved on this device first, encrypted, and sent as soon as there is a signal.</p>
    </form>
  );
}
