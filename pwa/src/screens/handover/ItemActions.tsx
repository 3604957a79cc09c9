// What the day team does with an item it has picked up: mark its clocks met (with the outcome
// the law asks for), hand it to a colleague, close it with what was decided. Each goes straight
// to the API (the day team works in the office); the server's problem, field by field, is shown.
import { useEffect, useState } from 'preact/hooks';
import { call, describeError } from '../../api/client';
import type { Clock, HandoverItem, PersonRef } from '../../api/types';
import { announce } from '../../state';
import { ErrorText } from '../../ui/bits';

/** The outcomes a clock must be met with (api/handover/clocks.py OUTCOMES), in plain words. */
export const CLOCK_OUTCOMES: Record<string, [string, string][]> = {
  rhi_72h: [
    ['completed', 'Interview carried out'],
    ['declined', 'The young person declined'],
  ],
  bail_refused_transfer: [
    ['transferred', 'Transferred to local-authority accommodation'],
    ['secure_accommodation_requested', 'Secure accommodation requested'],
    ['certified_impracticable', 'Certified impracticable (permitted ground)'],
  ],
  s47_outcome: [
    ['not_substantiated', 'Not substantiated'],
    ['child_in_need_plan', 'Child in need plan'],
    ['initial_child_protection_conference', 'Initial child protection conference'],
    ['emergency_protection_order_sought', 'Emergency protection order sought'],
    ['enquiries_continue_with_safety_plan', 'Enquiries continue with a safety plan'],
  ],
};

/** PACE Code C 16D: lack of accommodation is never a ground, so it is not offered. */
export const IMPRACTICABLE_GROUNDS: [string, string][] = [
  ['extreme_weather', 'Extreme weather'],
  ['court_appearance_imminent', 'Court appearance imminent'],
  ['transfer_physically_impossible', 'Transfer physically impossible'],
];

/** A form's one action: busy while it runs, the server's problem shown when it fails. */
function useAction(run: () => Promise<void>): { busy: boolean; error: string | null; setError: (e: string | null) => void; submit: (event: Event) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, submit };
}

export function ItemActions({ item, clocks, onChanged }: { item: HandoverItem; clocks: Clock[]; onChanged: () => void }) {
  const [open, setOpen] = useState<string | null>(null);
  const ref = item.incident.reference;
  const toggle = (what: string) => setOpen(open === what ? null : what);
  return (
    <div class="item-actions" data-testid="item-actions">
      <div class="actions">
        {clocks.some((c) => c.id) ? (
          <button type="button" aria-expanded={open === 'clocks'} onClick={() => toggle('clocks')} data-testid="action-clocks">
            Clocks met…
          </button>
        ) : null}
        <button type="button" aria-expanded={open === 'reassign'} onClick={() => toggle('reassign')} data-testid="action-reassign">
          Reassign…
        </button>
        <button type="button" aria-expanded={open === 'close'} onClick={() => toggle('close')} data-testid="action-close">
          Close…
        </button>
      </div>
      {open === 'clocks'
        ? clocks.filter((c) => c.id).map((c) => <ClockMet key={c.id} clock={c} reference={ref} onDone={onChanged} />)
        : null}
      {open === 'reassign' ? <Reassign item={item} onDone={onChanged} /> : null}
      {open === 'close' ? <Close item={item} onDone={onChanged} /> : null}
    </div>
  );
}

function ClockMet({ clock, reference, onDone }: { clock: Clock; reference: string; onDone: () => void }) {
  const outcomes = CLOCK_OUTCOMES[clock.kind];
  const [outcome, setOutcome] = useState('');
  const [ground, setGround] = useState('');
  const [by, setBy] = useState('');
  const [independent, setIndependent] = useState(false);
  const [note, setNote] = useState('');
  const id = `clock-${clock.id}`;
  const label = clock.label ?? clock.kind.replace(/_/g, ' ');
  const { busy, error, submit } = useAction(async () => {
    const body: Record<string, unknown> = {};
    if (note.trim()) body.note = note.trim();
    if (outcomes) body.outcome = outcome;
    if (outcome === 'certified_impracticable') body.ground = ground;
    if (clock.kind === 'rhi_72h' && outcome === 'completed') {
      body.by = by.trim();
      body.independent = independent;
    }
    await call(`/clocks/${encodeURIComponent(clock.id ?? '')}/met`, { method: 'POST', body });
    announce(`${label} met for ${reference}.`);
    onDone();
  });

  return (
    <form class="stack card inset" onSubmit={submit} data-testid="clock-met-form" aria-label={`Mark met: ${label}`}>
      <h3>{label}</h3>
      {outcomes ? (
        <>
          <label for={`${id}-outcome`}>Outcome</label>
          <select id={`${id}-outcome`} required value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
            <option value="">Choose…</option>
            {outcomes.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </>
      ) : null}
      {outcome === 'certified_impracticable' ? (
        <>
          <label for={`${id}-ground`}>Ground (no accommodation available is never one)</label>
          <select id={`${id}-ground`} required value={ground} onChange={(e) => setGround(e.currentTarget.value)}>
            <option value="">Choose…</option>
            {IMPRACTICABLE_GROUNDS.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </>
      ) : null}
      {clock.kind === 'rhi_72h' && outcome === 'completed' ? (
        <>
          <label for={`${id}-by`}>Carried out by (role or name)</label>
          <input id={`${id}-by`} required maxLength={120} value={by} onInput={(e) => setBy(e.currentTarget.value)} />
          <label class="choice">
            <input type="checkbox" checked={independent} onChange={(e) => setIndependent(e.currentTarget.checked)} />
            Independent of the young person's care
          </label>
        </>
      ) : null}
      <label for={`${id}-note`}>Note (optional)</label>
      <textarea id={`${id}-note`} maxLength={2000} rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy}>
        {busy ? 'Saving…' : 'Mark met'}
      </button>
    </form>
  );
}

function Reassign({ item, onDone }: { item: HandoverItem; onDone: () => void }) {
  const [people, setPeople] = useState<PersonRef[] | null>(null);
  const [chosen, setChosen] = useState('');
  const { busy, error, setError, submit } = useAction(async () => {
    await call(`/handover/${encodeURIComponent(item.id)}/reassign`, { method: 'POST', body: { user_id: chosen } });
    const name = people?.find((p) => p.id === chosen)?.display_name ?? 'a colleague';
    announce(`${item.incident.reference} reassigned to ${name}.`);
    onDone();
  });

  useEffect(() => {
    const controller = new AbortController();
    call<PersonRef[]>(`/handover/${encodeURIComponent(item.id)}/assignees`, { signal: controller.signal }).then(
      setPeople,
      (e: unknown) => {
        if ((e as Error).name !== 'AbortError') setError(describeError(e));
      },
    );
    return () => controller.abort();
  }, [item.id]);

  const id = `reassign-${item.id}`;
  return (
    <form class="stack card inset" onSubmit={submit} data-testid="reassign-form">
      <label for={id}>Reassign to</label>
      <select id={id} required value={chosen} onChange={(e) => setChosen(e.currentTarget.value)} disabled={!people}>
        <option value="">{people ? 'Choose a colleague…' : 'Loading…'}</option>
        {(people ?? []).map((p) => (
          <option key={p.id} value={p.id}>
            {p.display_name}
          </option>
        ))}
      </select>
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy || !chosen}>
        {busy ? 'Reassigning…' : 'Reassign'}
      </button>
    </form>
  );
}

function Close({ item, onDone }: { item: HandoverItem; onDone: () => void }) {
  const [note, setNote] = useState('');
  const { busy, error, submit } = useAction(async () => {
    await call(`/handover/${encodeURIComponent(item.id)}/close`, { method: 'POST', body: { note: note.trim() } });
    announce(`${item.incident.reference} closed.`);
    onDone();
  });

  const id = `close-${item.id}`;
  return (
    <form class="stack card inset" onSubmit={submit} data-testid="close-form">
      <label for={id}>What was decided (required)</label>
      <textarea id={id} required maxLength={4000} rows={3} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy || !note.trim()}>
        {busy ? 'Closing…' : `Close ${item.incident.reference}`}
      </button>
    </form>
  );
}
