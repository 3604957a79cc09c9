// Shapes of the API's answers, as the contract describes them (plus the endpoints the PWA
// proposes; see README). Optional where the contract leaves room.
import type { IncidentKind, OfferOutcome, Provenance } from '../outbox/types';

export type Role = 'police' | 'worker' | 'day_team' | 'manager' | 'admin';

export interface TeamRef {
  id: string;
  slug: string;
  name?: string;
}

export interface Me {
  id: string;
  username: string;
  display_name: string;
  roles: Role[];
  teams: TeamRef[];
  police_station?: string | null;
}

export type IncidentState =
  | 'reported'
  | 'paging'
  | 'acknowledged'
  | 'attending'
  | 'support_recorded'
  | 'handed_over'
  | 'picked_up'
  | 'closed'
  | 'uncovered';

export type AckAction = 'attending' | 'phoning' | 'cannot_attend';

export interface Indicator {
  code: string;
  label: string;
  category: 'cse' | 'cce' | 'general';
  group: string;
}

export interface OfferKind {
  code: string;
  label: string;
}

export interface IncidentSummary {
  id: string;
  reference: string;
  kind: IncidentKind;
  state: IncidentState;
  priority?: string | number | null;
  occurred_at?: string;
  reported_at?: string;
  police_station?: string;
  category?: string | null;
  teams?: TeamRef[];
  uncovered?: boolean;
  acknowledged_at?: string | null;
  acknowledged_action?: AckAction | null;
  eta_minutes?: number | null;
}

export interface TimelineEntry {
  at: string;
  actor?: string | null;
  action: string;
  detail?: string | null;
}

export interface SupportOffer {
  id: string;
  kind: string;
  outcome: OfferOutcome;
  notes?: string | null;
  offered_at: string;
  version?: number | string;
}

export interface IncidentDetail extends IncidentSummary {
  location?: { description?: string; area?: string | null } | null;
  indicators?: { code: string; label?: string; category?: string; provenance?: Provenance | null }[];
  triage?: { reasons?: string[] } | null;
  timeline?: TimelineEntry[];
  pages?: { id?: string; team?: TeamRef | string; level?: string | number; state?: string; sent_at?: string }[];
  support_offers?: SupportOffer[];
  handover_note?: { note: string } | string | null;
  young_person?: {
    id?: string;
    first_name?: string;
    last_name?: string;
    date_of_birth?: string | null;
    la_reference?: string | null;
  } | null;
  circumstances?: string | null;
  custody_status?: string | null;
  police_reference?: string | null;
}

export interface IncidentStatus {
  reference: string;
  state: IncidentState;
  acknowledged_at: string | null;
  acknowledged_action: AckAction | null;
  eta_minutes: number | null;
  uncovered: boolean;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface OnCallShift {
  team: TeamRef | string;
  level: 'primary' | 'secondary' | string;
  starts_at?: string;
  ends_at?: string;
}

export interface MyOnCall {
  now: OnCallShift | null;
  next: OnCallShift | null;
}

export interface Device {
  id: string;
  label?: string | null;
  endpoint?: string;
  created_at?: string;
  last_success_at?: string | null;
  failures?: number;
}

export interface Clock {
  kind: string;
  label?: string;
  starts_at?: string;
  due_at: string;
  met_at?: string | null;
}

export interface HandoverItem {
  id: string;
  state: string;
  incident: IncidentSummary & { summary?: string };
  team?: TeamRef;
  summary?: string | null;
  decisions?: string | null;
  offers?: SupportOffer[];
  clocks?: Clock[];
  owner?: { id?: string; display_name?: string } | string | null;
  picked_up_at?: string | null;
}

export interface RotaGap {
  team: TeamRef | string;
  level: string;
  starts_at: string;
  ends_at: string;
}

export interface Board {
  unacknowledged: IncidentSummary[];
  uncovered: IncidentSummary[];
  rota_gaps: RotaGap[];
}
