// The open clocks you own, across your teams' incidents: the clocks of items you picked up and
// the decisions a hub meeting gave you (a hub decision's due date is a clock), and the review
// dates of strategy meetings about your areas' places (or that gave you an action). Shown under
// the handover queue only when there are some; ids and references only in the URL.
import type { components } from '../../api/schema';
import { call } from '../../api/client';
import { dueIn } from '../../ui/format';
import { useAsync } from '../../ui/hooks';

type MyClockList = components['schemas']['MyClockList'];

export function MyClocks({ now }: { now: number }) {
  const clocks = useAsync((signal) => call<MyClockList>('/me/clocks', { signal }), []);
  const items = clocks.data?.clocks ?? [];
  const reviews = clocks.data?.strategy_reviews ?? [];
  if (!items.length && !reviews.length) return null;
  return (
    <section aria-labelledby="my-clocks-h">
      <h2 id="my-clocks-h">My clocks</h2>
      <ul class="clocks" data-testid="my-clocks">
        {items.map((c) => {
          const due = dueIn(c.due_at, now);
          return (
            <li key={c.id} class={due.overdue ? 'overdue' : due.soon ? 'soon' : ''}>
              <span>
                {c.label}
                {c.incident_reference ? ` · ${c.incident_reference}` : ''}
              </span>{' '}
              <strong>{due.text}</strong>
            </li>
          );
        })}
        {reviews.map((r) => {
          const due = dueIn(r.due_at, now);
          return (
            <li key={r.meeting_id} class={due.overdue ? 'overdue' : due.soon ? 'soon' : ''}>
              <span>
                {r.label} · <a class="place-link" href={`/places/${r.place_id}`}>{r.place_name}</a>
              </span>{' '}
              <strong>{due.text}</strong>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
