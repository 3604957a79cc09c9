import type { TimelineEntry } from '../../api/types';
import { Section } from '../../ui/bits';
import { formatTime, timelineDetail, timelineLabel } from '../../ui/format';

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  const sorted = [...entries].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime());
  return (
    <Section title="Timeline" id="timeline">
      <ol class="timeline" data-testid="timeline">
        {sorted.map((e, n) => {
          const detail = timelineDetail(e.detail);
          return (
            <li key={`${e.at}-${n}`}>
              <time dateTime={e.at}>{formatTime(e.at)}</time>
              <span>
                <strong>{timelineLabel(e.action, e.detail)}</strong>
                {e.actor ? ` · ${e.actor}` : ''}
                {detail ? <span class="detail"> — {detail}</span> : null}
              </span>
            </li>
          );
        })}
      </ol>
    </Section>
  );
}
