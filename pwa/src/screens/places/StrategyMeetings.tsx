// Strategy meetings about a place, on its profile: the open agreed actions and the next review
// date (a clock), and for managers and hub coordinators a form to record a meeting and a button
// to mark an action done. Attendees' names go in the request body only, never a URL or a title.
import { useState } from 'preact/hooks';
import { call, describeError } from '../../api/client';
import type { PlaceProfile, StrategyAction, StrategyMeetingIn } from '../../api/types';
import { announce, app, useStore } from '../../state';
import { ErrorText, Section } from '../../ui/bits';

export const ACTION_KINDS: [string, string][] = [
  ['patrols', 'Patrols'],
  ['licensing_review', 'Licensing review'],
  ['community_protection_notice', 'Community protection notice'],
  ['closure_order', 'Closure order'],
  ['outreach', 'Outreach'],
  ['work_with_venue', 'Work with the venue'],
  ['other', 'Other'],
];
const KIND_LABEL = Object.fromEntries(ACTION_KINDS);
const REVIEW_BADGE: Record<string, string> = { approaching: 'state-paging', overdue: 'state-uncovered' };

function londonToday(offsetDays = 0): string {
  const day = new Date(Date.now() + offsetDays * 86_400_000);
  // en-CA formats as YYYY-MM-DD.
  return day.toLocaleDateString('en-CA', { timeZone: 'Europe/London' });
}

function formatDay(iso: string): string {
  return new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' });
}

export function StrategySection({ profile, onChanged }: { profile: PlaceProfile; onChanged: () => void }) {
  const roles = useStore(app, (s) => s.me?.roles ?? []);
  const steward = roles.some((r) => r === 'manager' || r === 'coordinator');
  const [recording, setRecording] = useState(false);
  const { open_actions: actions, next_review: review } = profile.strategy;
  return (
    <Section title={`Strategy meetings (${profile.strategy.meetings})`} id="strategy">
      <p data-testid="next-review">
        {review ? (
          <>
            Next review: <strong>{formatDay(review.review_on)}</strong>
            {' '}
            <span class={`badge ${REVIEW_BADGE[review.status] ?? ''}`}>{review.status}</span>
          </>
        ) : (
          'No review due.'
        )}
      </p>
      <h3>Open actions ({actions.length})</h3>
      {actions.length ? (
        <ul class="plain" data-testid="open-actions">
          {actions.map((a) => (
            <OpenAction key={a.id} action={a} steward={steward} onChanged={onChanged} />
          ))}
        </ul>
      ) : (
        <p>None open.</p>
      )}
      {steward ? (
        <div class="no-print">
          <button type="button" aria-expanded={recording} onClick={() => setRecording(!recording)} data-testid="record-meeting">
            Record a strategy meeting…
          </button>
          {recording ? (
            <MeetingForm
              placeId={profile.place.id}
              onDone={() => {
                setRecording(false);
                onChanged();
              }}
            />
          ) : null}
        </div>
      ) : null}
    </Section>
  );
}

function OpenAction({ action, steward, onChanged }: { action: StrategyAction; steward: boolean; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function done() {
    setBusy(true);
    setError(null);
    try {
      await call(`/places/${encodeURIComponent(action.place_id)}/strategy-actions/${encodeURIComponent(action.id)}`, {
        method: 'PATCH',
        body: { status: 'done' },
      });
      announce('Action marked done.');
      onChanged();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }
  return (
    <li class="row" data-testid="open-action">
      <p class="line1">
        <strong>{KIND_LABEL[action.kind] ?? action.kind}</strong>
        {action.overdue ? (
          <>
            {' '}
            <span class="badge state-uncovered">overdue</span>
          </>
        ) : null}
      </p>
      <p>{action.description}</p>
      <p>
        {action.owner.name}
        {action.due_on ? ` · by ${formatDay(action.due_on)}` : ''}
      </p>
      {steward ? (
        <button type="button" disabled={busy} onClick={done} aria-label={`Mark done: ${KIND_LABEL[action.kind] ?? action.kind}`}>
          Done
        </button>
      ) : null}
      {error ? <ErrorText>{error}</ErrorText> : null}
    </li>
  );
}

type AttendeeRow = { name: string; agency: string };
type ActionRow = { kind: string; description: string; owner: string; due_on: string };

function MeetingForm({ placeId, onDone }: { placeId: string; onDone: () => void }) {
  const [heldOn, setHeldOn] = useState(londonToday());
  const [reviewOn, setReviewOn] = useState(londonToday(28));
  const [concerns, setConcerns] = useState('');
  const [attendees, setAttendees] = useState<AttendeeRow[]>([{ name: '', agency: '' }]);
  const [actions, setActions] = useState<ActionRow[]>([{ kind: 'patrols', description: '', owner: '', due_on: '' }]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const setAttendee = (i: number, patch: Partial<AttendeeRow>) => setAttendees(attendees.map((a, j) => (j === i ? { ...a, ...patch } : a)));
  const setAction = (i: number, patch: Partial<ActionRow>) => setActions(actions.map((a, j) => (j === i ? { ...a, ...patch } : a)));

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const body: StrategyMeetingIn = {
      held_on: heldOn,
      review_on: reviewOn,
      concerns: concerns.trim(),
      attendees: attendees.filter((a) => a.name.trim() || a.agency.trim()).map((a) => ({ name: a.name.trim(), agency: a.agency.trim() })),
      actions: actions
        .filter((a) => a.description.trim())
        .map((a) => ({ kind: a.kind as NonNullable<StrategyMeetingIn['actions']>[number]['kind'], description: a.description.trim(), owner: a.owner.trim(), due_on: a.due_on || null })),
    };
    try {
      await call(`/places/${encodeURIComponent(placeId)}/strategy-meetings`, { method: 'POST', body });
      announce('Strategy meeting recorded.');
      onDone();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="stack card inset" onSubmit={submit} data-testid="meeting-form" aria-label="Record a strategy meeting">
      <label for="sm-held">Held on</label>
      <input id="sm-held" type="date" required value={heldOn} onInput={(e) => setHeldOn(e.currentTarget.value)} />
      <fieldset>
        <legend>Who attended</legend>
        {attendees.map((a, i) => (
          <div class="stack" key={i}>
            <label for={`sm-att-${i}-name`}>Name {i + 1}</label>
            <input id={`sm-att-${i}-name`} required maxLength={120} autocomplete="off" value={a.name} onInput={(e) => setAttendee(i, { name: e.currentTarget.value })} />
            <label for={`sm-att-${i}-agency`}>Agency {i + 1}</label>
            <input id={`sm-att-${i}-agency`} required maxLength={120} value={a.agency} onInput={(e) => setAttendee(i, { agency: e.currentTarget.value })} />
          </div>
        ))}
        <button type="button" onClick={() => setAttendees([...attendees, { name: '', agency: '' }])} data-testid="add-attendee">
          Add someone
        </button>
      </fieldset>
      <label for="sm-concerns">Concerns</label>
      <textarea id="sm-concerns" required maxLength={8000} rows={4} value={concerns} onInput={(e) => setConcerns(e.currentTarget.value)} />
      <fieldset>
        <legend>Agreed actions</legend>
        {actions.map((a, i) => (
          <div class="stack" key={i}>
            <label for={`sm-act-${i}-kind`}>Action {i + 1}</label>
            <select id={`sm-act-${i}-kind`} value={a.kind} onChange={(e) => setAction(i, { kind: e.currentTarget.value })}>
              {ACTION_KINDS.map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </select>
            <label for={`sm-act-${i}-description`}>What, {i + 1}</label>
            <input id={`sm-act-${i}-description`} maxLength={2000} value={a.description} onInput={(e) => setAction(i, { description: e.currentTarget.value })} />
            <label for={`sm-act-${i}-owner`}>Owner (person or agency), {i + 1}</label>
            <input id={`sm-act-${i}-owner`} maxLength={160} required={Boolean(a.description.trim())} value={a.owner} onInput={(e) => setAction(i, { owner: e.currentTarget.value })} />
            <label for={`sm-act-${i}-due`}>Due, {i + 1}</label>
            <input id={`sm-act-${i}-due`} type="date" value={a.due_on} onInput={(e) => setAction(i, { due_on: e.currentTarget.value })} />
          </div>
        ))}
        <button type="button" onClick={() => setActions([...actions, { kind: 'patrols', description: '', owner: '', due_on: '' }])} data-testid="add-action">
          Add an action
        </button>
      </fieldset>
      <label for="sm-review">Review on</label>
      <input id="sm-review" type="date" required value={reviewOn} onInput={(e) => setReviewOn(e.currentTarget.value)} />
      {error ? <ErrorText>{error}</ErrorText> : null}
      <button type="submit" class="primary" disabled={busy} data-testid="save-meeting">
        Record the meeting
      </button>
    </form>
  );
}
