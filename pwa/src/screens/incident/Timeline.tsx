import type { TimelineEntry } from '../../api/types';
import { Section } from '../../ui/bits';
import { formatTime } from '../../ui/format';

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  const sorted = [...entries].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  return (
    <Section title="Timeline" id="timeline">
      <ol class="timeline" data-testid="timeline">
        {sorted.map((e, n) => (
          <li key={`${e.at}-${n}`}>
            <time dateTime={e.at}>{formatTime(e.at)}</time>
            <span>
              <strong>{e.action.replace(/[._]/g, ' ')}</strong>
              {e.actor ? ` · ${e.actor}` : ''}
              {e.detail ? <span class="detail"> — {e.detail}</span> : null}
            </span>
          </li>
        ))}
      </ol>
    </Section>
  );
}
