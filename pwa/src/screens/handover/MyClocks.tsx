// The open clocks you own, across your teams' incidents: the clocks of items you picked up and
// the decisions a hub meeting gave you (a hub decision's due date is a clock). Shown under the
// handover queue only when there are some; ids and references only in the URL.
import type { components } from '../../api/schema';
import { call } from '../../api/client';
import { dueIn } from '../../ui/format';
import { useAsync } from '../../ui/hooks';

type ClockList = components['schemas']['ClockList'];

export function MyClocks({ now }: { now: number }) {
  const clocks = useAsync((signal) => call<ClockList>('/me/clocks', { signal }), []);
  const items = clocks.data?.clocks ?? [];
  if (!items.length) return null;
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
      </ul>
    </section>
  );
}
