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
