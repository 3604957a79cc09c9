// Words and times as people read them (British English, local time).
import type { AckAction, IncidentState } from '../api/types';
import type { IncidentKind, OfferOutcome, RecordState } from '../outbox/types';

const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const dayTime = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

export function formatTime(iso: string | number | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const today = new Date();
  return d.toDateString() === today.toDateString() ? time.format(d) : dayTime.format(d);
}

/** "12 min ago", "3 h ago". */
export function ago(iso: string | number | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const minutes = Math.round((now - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** "in 41 h 10 min" or "overdue by 2 h 5 min". */
export function dueIn(iso: string, now = Date.now()): { text: string; overdue: boolean; soon: boolean } {
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const span = h ? `${h} h ${m} min` : `${m} min`;
  return ms >= 0 ? { text: `due in ${span}`, overdue: false, soon: ms < 6 * 3_600_000 } : { text: `overdue by ${span}`, overdue: true, soon: true };
}

export const KIND_LABELS: Record<IncidentKind, string> = {
  missing_return: 'Missing return',
  arrest: 'Arrest',
  stop_conversation: 'Stop conversation',
};

export const STATE_LABELS: Record<IncidentState, string> = {
  reported: 'New',
  paging: 'Paging',
  acknowledged: 'Acknowledged',
  attending: 'Attending',
  support_recorded: 'Support recorded',
  handed_over: 'Handed over',
  picked_up: 'Picked up',
  closed: 'Closed',
  uncovered: 'Uncovered',
};

export const ACTION_LABELS: Record<AckAction, string> = {
  attending: 'Attending',
  phoning: 'Phoning custody',
  cannot_attend: 'Cannot attend – escalate',
};

export const OUTCOME_LABELS: Record<OfferOutcome, string> = {
  accepted: 'Accepted',
  declined: 'Declined',
  not_possible: 'Not possible',
  requested: 'Requested',
  attended: 'Attended',
  not_available: 'Not available',
};

export const RECORD_STATE_LABELS: Record<RecordState, string> = {
  saved: 'Saved on this device',
  sending: 'Sending',
  sent: 'Sent',
  needs_attention: 'Needs attention',
};

export function kindLabel(kind: string | undefined): string {
  return (kind && KIND_LABELS[kind as IncidentKind]) || (kind ?? '').replace(/_/g, ' ');
}

export function stateLabel(state: string | undefined): string {
  return (state && STATE_LABELS[state as IncidentState]) || (state ?? '').replace(/_/g, ' ');
}

export function priorityText(p: string | number | null | undefined): string {
  if (p === null || p === undefined || p === '') return '';
  return /^\d+$/.test(String(p)) ? `P${p}` : String(p).toUpperCase();
}

export function teamName(team: { name?: string; slug?: string } | string | null | undefined): string {
  if (!team) return '';
  return typeof team === 'string' ? team : (team.name ?? team.slug ?? '');
}

/** A datetime-local value ("2026-03-01T01:40") as ISO 8601 with this device's offset. */
export function localInputToIso(value: string): string {
  const d = new Date(value);
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0');
  const mm = String(Math.abs(offset) % 60).padStart(2, '0');
  const seconds = value.length === 16 ? ':00' : '';
  return `${value}${seconds}${sign}${hh}:${mm}`;
}

/** Now, as a datetime-local value in this device's time zone. */
export function nowForInput(now = new Date()): string {
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/** A station as lists give it (its name) or as the detail gives it ({slug, name}). */
export function stationName(station: string | { name?: string; slug?: string } | null | undefined): string {
  if (!station) return '';
  return typeof station === 'string' ? station : (station.name ?? station.slug ?? '');
}

/** "CCE", "CSE and CCE", "General" from the API's category (cse, cce, cse_cce, general). */
export function categoryLabel(category: string | null | undefined): string {
  if (!category) return '';
  if (category === 'cse_cce') return 'CSE and CCE';
  if (category === 'general') return 'General';
  return category.toUpperCase();
}

export const CUSTODY_LABELS: Record<string, string> = {
  in_custody: 'In custody',
  charged_refused_bail: 'Charged, refused bail',
  bailed: 'Bailed',
  released: 'Released',
  released_under_investigation: 'Released under investigation',
  released_no_further_action: 'Released, no further action',
  police_protection: 'In police protection',
  not_detained: 'Not detained',
  not_arrested: 'Not arrested',
  unknown: 'Not known',
};

const GROUP_LABELS: Record<string, string> = {
  movement: 'Places and movement',
  items: 'Items and money',
  relationships: 'People around them',
  health: 'Health',
  harm: 'Harm',
  behaviour: 'Behaviour',
};

export function groupLabel(group: string): string {
  return GROUP_LABELS[group] ?? (group ? group.charAt(0).toUpperCase() + group.slice(1).replace(/_/g, ' ') : 'Other');
}

const TIMELINE_LABELS: Record<string, string> = {
  'incident.reported': 'Reported',
  'incident.triaged': 'Triaged',
  'incident.flagged_for_managers': 'Flagged for managers',
  'state.changed': 'State changed',
  'page.started': 'Paging started',
  'page.level_started': 'Paging the next level',
  'page.level_empty': 'Nobody on call at this level',
  'page.escalated': 'Escalated',
  'page.acknowledged': 'Acknowledged',
  'page.declined': 'Cannot attend',
  'page.cancelled': 'Paging stopped',
  'page.uncovered': 'Nobody reached',
  'support.offer_recorded': 'Support offer recorded',
  'handover.note_recorded': 'Handover note recorded',
  'handover.queued': 'Queued for the day team',
  'handover.picked_up': 'Picked up by the day team',
  'handover.reassigned': 'Handover reassigned',
  'handover.escalated': 'Handover raised to managers',
  'handover.closed': 'Handover closed',
  'clocks.started': 'Clocks started',
  'clock.raised': 'Clock alert',
  'clock.met': 'Clock met',
};

const LEVEL_TARGETS: Record<string, string> = {
  primary: 'the primary on call',
  secondary: 'the secondary on call',
  managers: 'the managers',
  person: 'a named person',
};

/** What an entry of the timeline says happened. A page's first level is "Paging …", not
 * "the next level"; a later one is an escalation; a repeat round says so. */
export function timelineLabel(action: string, detail?: Record<string, unknown> | string | null): string {
  if (action === 'page.level_started' && detail && typeof detail === 'object') {
    const target = typeof detail.target === 'string' ? (LEVEL_TARGETS[detail.target] ?? detail.target.replace(/_/g, ' ')) : '';
    const level = typeof detail.level === 'number' ? detail.level : 0;
    const repeat = typeof detail.repeat === 'number' ? detail.repeat : 0;
    const whom = target ? ` ${target}` : '';
    if (level === 0 && repeat === 0) return `Paging${whom}`;
    if (level === 0) return `Paging again from the start${target ? `:${whom}` : ''}`;
    return `Escalated: paging${whom}`;
  }
  return TIMELINE_LABELS[action] ?? action.replace(/[._]/g, ' ');
}

/** The few facts of a timeline entry's detail worth a line: states, actions, ETAs, levels. */
export function timelineDetail(detail: Record<string, unknown> | string | null | undefined): string {
  if (!detail) return '';
  if (typeof detail === 'string') return detail;
  const parts: string[] = [];
  const d = detail as Record<string, unknown>;
  const moved = typeof d.from === 'string' && typeof d.to === 'string';
  if (moved) parts.push(`${stateLabel(d.from as string)} → ${stateLabel(d.to as string)}`);
  if (typeof d.action === 'string') {
    const said = ACTION_LABELS[d.action as AckAction] ?? d.action.replace(/_/g, ' ');
    // "Paging → Attending" already says it: no second "Attending".
    if (!(moved && said === stateLabel(d.to as string))) parts.push(said);
  }
  if (typeof d.eta_minutes === 'number') parts.push(`ETA ${d.eta_minutes} min`);
  if (typeof d.priority === 'string') parts.push(d.priority);
  if (typeof d.level === 'string') parts.push(d.level);
  if (typeof d.people === 'number') parts.push(`${d.people} ${d.people === 1 ? 'person' : 'people'}`);
  if (typeof d.label === 'string') parts.push(d.label);
  if (typeof d.kind === 'string' && !d.label) parts.push(kindLabel(d.kind));
  return parts.join(' · ');
}
