// The referral to children's services every incident makes: where it went and why, the
// one-working-day decision clock, the receiving team's receipt and decision, and the documents
// (PDF and the JSON export for the front door's case system). Case roles only; every read and
// download is audited by the server.
import { useState } from 'preact/hooks';
import { ApiError, call, describeError } from '../../api/client';
import type { components } from '../../api/schema';
import { announce } from '../../state';
import { ErrorText, Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';
import { useAsync } from '../../ui/hooks';

export type ReferralDocument = components['schemas']['ReferralDocument'];
type Decision = NonNullable<ReferralDocument['decision']>['decision'];

export const DECISION_LABELS: Record<Decision, string> = {
  no_further_action: 'No further action',
  early_help: 'Early help',
  child_and_family_assessment: 'Child and family assessment',
  s47_enquiry: 'Section 47 enquiry',
  strategy_discussion: 'Strategy discussion',
};

/** Where the referral stands, in one sentence. */
export function referralStatus(doc: ReferralDocument): string {
  if (doc.decision) {
    return `Decided: ${DECISION_LABELS[doc.decision.decision]} (${doc.decision.decided_by}, ${formatTime(doc.decision.decided_at)})`;
  }
  if (doc.receipt) return `Received by ${doc.receipt.received_by} at ${formatTime(doc.receipt.received_at)}; decision due ${formatTime(doc.decision_clock.due_at)}`;
  return `Not yet received; decision due ${formatTime(doc.decision_clock.due_at)}`;
}

async function download(referralId: string, reference: string, extension: 'pdf' | 'json'): Promise<void> {
  const blob = await call<Blob>(`/referrals/${encodeURIComponent(referralId)}/referral.${extension}`, { blob: true });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `lantern-referral-${reference}.${extension}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function Referral({ incidentId }: { incidentId: string }) {
  const loaded = useAsync(
    (signal) =>
      call<ReferralDocument>(`/incidents/${encodeURIComponent(incidentId)}/referral`, { signal }).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null; // reported before referrals existed
        throw error;
      }),
    [incidentId],
  );
  const [who, setWho] = useState('');
  const [decision, setDecision] = useState<Decision | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const doc = loaded.data;
  if (!doc) return loaded.error ? <ErrorText>{loaded.error}</ErrorText> : null;

  async function act(what: 'receipt' | 'decision' | 'pdf' | 'json') {
    if (!doc) return;
    setError(null);
    if ((what === 'receipt' || what === 'decision') && !who.trim()) {
      setError(what === 'receipt' ? 'Add who at the receiving team took it.' : 'Add who decided.');
      return;
    }
    if (what === 'decision' && !decision) {
      setError('Choose the decision.');
      return;
    }
    setBusy(true);
    try {
      if (what === 'pdf' || what === 'json') {
        await download(doc.id, doc.incident.reference, what);
      } else {
        const body = what === 'receipt' ? { received_by: who.trim() } : { decision, decided_by: who.trim() };
        await call(`/referrals/${encodeURIComponent(doc.id)}/${what}`, { method: 'POST', body });
        announce(what === 'receipt' ? 'Receipt recorded.' : 'Decision recorded.');
        setWho('');
        loaded.reload();
      }
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Section title="Referral to children's services" id="referral">
      <dl class="facts" data-testid="referral">
        <dt>To</dt>
        <dd>{doc.receiving.name}</dd>
        {doc.inform.length ? (
          <>
            <dt>Inform</dt>
            <dd>{doc.inform.map((a) => `${a.name} (host authority)`).join(', ')}</dd>
          </>
        ) : null}
        <dt>Where it stands</dt>
        <dd data-testid="referral-status">{referralStatus(doc)}</dd>
      </dl>
      <details>
        <summary>Why it goes there</summary>
        <ul>
          {doc.routing_reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      </details>
      <p class="stack inline">
        <button type="button" onClick={() => act('pdf')} disabled={busy}>
          Download PDF
        </button>
        <button type="button" onClick={() => act('json')} disabled={busy}>
          Download JSON
        </button>
      </p>
      {!doc.decision ? (
        <div class="stack">
          <label for={`referral-who-${doc.id}`}>{doc.receipt ? 'Who decided' : 'Who at the receiving team took it'}</label>
          <input id={`referral-who-${doc.id}`} value={who} maxLength={120} onInput={(e) => setWho(e.currentTarget.value)} />
          {doc.receipt ? (
            <>
              <label for={`referral-decision-${doc.id}`}>Decision</label>
              <select id={`referral-decision-${doc.id}`} value={decision} onChange={(e) => setDecision(e.currentTarget.value as Decision | '')}>
                <option value="">Choose…</option>
                {(Object.keys(DECISION_LABELS) as Decision[]).map((d) => (
                  <option key={d} value={d}>
                    {DECISION_LABELS[d]}
                  </option>
                ))}
              </select>
              <button type="button" class="primary" onClick={() => act('decision')} disabled={busy}>
                Record the decision
              </button>
            </>
          ) : (
            <button type="button" class="primary" onClick={() => act('receipt')} disabled={busy}>
              Record receipt
            </button>
          )}
        </div>
      ) : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </Section>
  );
}
