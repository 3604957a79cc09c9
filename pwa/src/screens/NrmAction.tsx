// "Consider an NRM referral" on a handover item: why Lantern raised it, that children need no
// consent, the s45 flag after a charge, and the decision (referred with the referral's reference
// and date, or not referred with the reason). The item cannot be closed until it is recorded.
import { useState } from 'preact/hooks';
import { call, describeError } from '../api/client';
import type { components } from '../api/schema';
import { announce } from '../state';
import { ErrorText } from '../ui/bits';
import { formatTime } from '../ui/format';

export type NrmView = components['schemas']['NrmOut'];

export interface NrmForm {
  decision: 'referred' | 'not_referred' | '';
  reference: string;
  referredOn: string;
  reason: string;
}

/** What is missing before the decision can be sent (the server says the same, as 422). */
export function nrmFormProblems(form: NrmForm): string[] {
  if (form.decision === 'referred') {
    return [
      ...(form.reference.trim() ? [] : ['the NRM referral reference']),
      ...(form.referredOn ? [] : ['the date of the referral']),
    ];
  }
  if (form.decision === 'not_referred') return form.reason.trim() ? [] : ['why not'];
  return ['referred or not referred'];
}

/** The body of POST /incidents/{id}/nrm/decision for a complete form. */
export function nrmBody(form: NrmForm): Record<string, string> {
  return form.decision === 'referred'
    ? { decision: 'referred', referral_reference: form.reference.trim(), referred_on: form.referredOn }
    : { decision: 'not_referred', reason: form.reason.trim() };
}

/** The recorded decision as one sentence, or null while it is awaited. */
export function nrmDecisionText(view: NrmView): string | null {
  if (!view.decision) return null;
  const who = view.decided_by?.display_name ? ` by ${view.decided_by.display_name}` : '';
  const when = view.decided_at ? `, ${formatTime(view.decided_at)}` : '';
  if (view.decision === 'referred') {
    return `Referred: reference ${view.referral_reference ?? ''}, ${view.referred_on ?? ''} (recorded${who}${when})`;
  }
  return `Not referred: ${view.not_referred_reason ?? ''} (recorded${who}${when})`;
}

export function NrmAction({ incidentId, view, onDecided }: { incidentId: string; view: NrmView; onDecided?: () => void }) {
  const [form, setForm] = useState<NrmForm>({ decision: '', reference: '', referredOn: '', reason: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const decided = nrmDecisionText(view);
  const set = (patch: Partial<NrmForm>) => setForm({ ...form, ...patch });

  async function submit(event: Event) {
    event.preventDefault();
    const problems = nrmFormProblems(form);
    if (problems.length) {
      setError(`Add ${problems.join(' and ')}.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await call(`/incidents/${encodeURIComponent(incidentId)}/nrm/decision`, { method: 'POST', body: nrmBody(form) });
      announce('NRM decision recorded.');
      onDecided?.();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="notice warn" role="group" data-testid="nrm-action" aria-label={view.prompt}>
      <h3>{view.prompt}</h3>
      <ul>
        {view.reasons.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
      <p>{view.consent_note}</p>
      {view.s45_flag ? <p data-testid="s45-flag"><strong>{view.s45_flag}</strong></p> : null}
      {decided ? (
        <p data-testid="nrm-decision">{decided}</p>
      ) : (
        <form onSubmit={submit} class="stack">
          <p>Record the decision before the item can be closed.</p>
          <label>
            <input type="radio" name={`nrm-${incidentId}`} checked={form.decision === 'referred'} onChange={() => set({ decision: 'referred' })} />{' '}
            Referred to the NRM
          </label>
          <label>
            <input type="radio" name={`nrm-${incidentId}`} checked={form.decision === 'not_referred'} onChange={() => set({ decision: 'not_referred' })} />{' '}
            Not referred
          </label>
          {form.decision === 'referred' ? (
            <>
              <label for={`nrm-ref-${incidentId}`}>NRM referral reference</label>
              <input id={`nrm-ref-${incidentId}`} value={form.reference} maxLength={64} onInput={(e) => set({ reference: e.currentTarget.value })} />
              <label for={`nrm-date-${incidentId}`}>Date referred</label>
              <input id={`nrm-date-${incidentId}`} type="date" value={form.referredOn} onInput={(e) => set({ referredOn: e.currentTarget.value })} />
            </>
          ) : null}
          {form.decision === 'not_referred' ? (
            <>
              <label for={`nrm-why-${incidentId}`}>Why not</label>
              <textarea id={`nrm-why-${incidentId}`} value={form.reason} maxLength={2000} onInput={(e) => set({ reason: e.currentTarget.value })} />
            </>
          ) : null}
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Recording…' : 'Record the NRM decision'}
          </button>
          {error ? <ErrorText>{error}</ErrorText> : null}
        </form>
      )}
    </div>
  );
}
