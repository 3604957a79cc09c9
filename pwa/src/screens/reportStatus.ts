import type { IncidentSummary } from '../api/types';

/** The response fields police see, in GET /incidents/{id}/status and in GET /incidents. */
type ResponseFields = Pick<IncidentSummary, 'state' | 'acknowledged_at' | 'acknowledged_action' | 'eta_minutes' | 'uncovered'>;
import { formatTime } from '../ui/format';

/** What custody staff read about the response: who is coming, and when. */
export function statusText(s: ResponseFields): string {
  const eta = s.eta_minutes ? `, ETA ${s.eta_minutes} min` : '';
  const at = s.acknowledged_at ? ` at ${formatTime(s.acknowledged_at)}` : '';
  if (s.acknowledged_action === 'cannot_attend' && !['attending', 'support_recorded'].includes(s.state)) {
    return `A worker cannot attend${at}; escalating to the next person`;
  }
  switch (s.state) {
    case 'reported':
      return 'Received; finding who is on call';
    case 'paging':
      return s.uncovered ? 'No worker reached yet; the duty manager has been alerted' : 'Paging the on-call worker';
    case 'uncovered':
      return 'No worker reached yet; the duty manager has been alerted';
    case 'acknowledged':
      return s.acknowledged_action === 'phoning'
        ? `Acknowledged by a worker${at}; they will phone custody`
        : `Acknowledged by a worker${at}${s.acknowledged_action === 'attending' ? `; attending${eta}` : eta}`;
    case 'attending':
      return `A worker is attending${eta}${s.acknowledged_at ? `; acknowledged${at}` : ''}`;
    case 'support_recorded':
      return 'The worker has recorded the support offered';
    case 'handed_over':
    case 'picked_up':
      return 'Handed over to the day team';
    case 'closed':
      return 'Closed';
    default:
      return String(s.state).replace(/_/g, ' ');
  }
}

export const ACTIVE = new Set(['reported', 'paging', 'uncovered', 'acknowledged', 'attending']);

/** The three steps custody staff watch: paged, acknowledged, attending. */
export function steps(s: ResponseFields): { label: string; done: boolean }[] {
  const order = ['reported', 'paging', 'acknowledged', 'attending', 'support_recorded', 'handed_over', 'picked_up', 'closed'];
  const at = order.indexOf(s.state);
  return [
    { label: 'Paged', done: at >= 1 || s.state === 'uncovered' },
    { label: 'Acknowledged', done: at >= 2 || Boolean(s.acknowledged_at) },
    { label: 'Attending', done: at >= 3 },
  ];
}
