// Shapes of the API's answers. `schema.d.ts` is generated from the API's /openapi.json
// (scripts/openapi.py; a pytest fails when it is stale): the types below are aliases of it where
// the screens can use them as generated, narrowed where the screens rely on a closed set of
// values the API declares as a plain string. The rest are still written by hand (optional where
// a role may not see a field, or where the PWA does not rely on it).
import type { IncidentKind, OfferOutcome, Provenance } from '../outbox/types';
import type { components } from './schema';

export type { components, paths } from './schema';
type Schemas = components['schemas'];

export type Role = 'police' | 'worker' | 'day_team' | 'manager' | 'coordinator' | 'partner' | 'admin';

export interface TeamRef {
  id: string;
  slug: string;
  name?: string;
}

export interface StationRef {
  id?: string;
  slug: string;
  name: string;
}

export interface PersonRef {
  id: string;
  display_name: string;
}

/** GET /api/v1/me (police_station and station: police only). */
export type Me = Omit<Schemas['MeOut'], 'roles'> & { roles: Role[] };

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

/** GET /api/v1/indicators */
export type Indicator = Omit<Schemas['IndicatorOut'], 'category'> & { category: 'cse' | 'cce' | 'general' };

/** GET /api/v1/support-offer-kinds */
export type OfferKind = Omit<Schemas['OfferKindOut'], 'outcomes'> & { outcomes?: OfferOutcome[] };

/**
 * What police may see of a report (GET /incidents for police, GET /incidents/{id}/status):
 * the response, never case notes.
 */
export interface IncidentStatus {
  id?: string;
  reference: string;
  /** The incident's version (its ETag): what a custody event is sent on, in If-Match. */
  version?: number;
  state: IncidentState;
  kind?: IncidentKind;
  reported_at?: string;
  acknowledged_at: string | null;
  acknowledged_action: AckAction | null;
  eta_minutes: number | null;
  uncovered: boolean;
  /** /status only: the police-visible timeline (states, actions, ETAs, the team a page is for). */
  timeline?: { at: string; action: string; detail?: Record<string, unknown> | null }[];
  /** /status only: the teams it was routed to, and why (as the report's 201 said). */
  teams?: { slug: string; name: string }[];
  routing_reasons?: string[];
}

/** An item of GET /incidents (case roles) and of the board's lists. */
export interface IncidentSummary {
  id: string;
  reference: string;
  kind: IncidentKind;
  state: IncidentState;
  priority?: string | null;
  occurred_at?: string;
  reported_at?: string;
  /** The station's name in lists; an object in the detail. */
  police_station?: string | StationRef;
  category?: string | null;
  location?: string | null;
  teams?: TeamRef[];
  uncovered?: boolean;
  acknowledged_at?: string | null;
  acknowledged_action?: AckAction | null;
  eta_minutes?: number | null;
  young_person?: { id?: string; first_name?: string; last_name?: string } | null;
  triage?: { reasons?: string[]; categories?: string[]; area?: string | null } | null;
  needs_manager_review?: boolean;
}

export interface TimelineEntry {
  at: string;
  actor?: string | null;
  action: string;
  team_id?: string | null;
  detail?: Record<string, unknown> | string | null;
}

export interface SupportOffer {
  id: string;
  incident_id?: string;
  kind: string;
  kind_label?: string;
  outcome: OfferOutcome;
  notes?: string | null;
  offered_at: string;
  version?: number;
  recorded_by?: PersonRef;
  received_at?: string;
  captured_offline?: boolean;
  client_time_suspect?: boolean;
}

export interface HandoverNote {
  id: string;
  incident_id?: string;
  text: string;
  version?: number;
  recorded_by?: PersonRef;
  received_at?: string;
  updated_at?: string;
  captured_offline?: boolean;
}

export interface PageSummary {
  id: string;
  team?: { id?: string; slug?: string | null; name?: string | null };
  state: string;
  level?: number;
  started_at?: string;
  acknowledged_at?: string | null;
  acknowledged_by?: PersonRef | null;
  uncovered_at?: string | null;
}

/** GET /incidents/{id} for case roles. */
export interface IncidentDetail extends Omit<IncidentSummary, 'location' | 'young_person' | 'indicators'> {
  location?: { description?: string; area?: string | null; place?: { id: string; name: string; type: string } | null } | null;
  indicators?: { code: string; label?: string; category?: string; group?: string | null; provenance?: Provenance | string | null }[];
  timeline?: TimelineEntry[];
  pages?: PageSummary[];
  support_offers?: SupportOffer[];
  young_person?: {
    id?: string;
    first_name?: string;
    last_name?: string;
    date_of_birth?: string | null;
    apparent_age?: number | null;
    la_reference?: string | null;
    legal_status?: string | null;
    possible_matches?: { candidate_id: string; reason: string }[];
  } | null;
  circumstances?: string | null;
  custody_status?: string | null;
  police_reference?: string | null;
  /** The incident's version (its ETag): what a disclosure is sent on, in If-Match. */
  version?: number;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** A shift of GET /me/on-call. */
export type OnCallShift = Schemas['MyShift'];

/** GET /me/on-call: every shift I am on now, and my next one. */
export type MyOnCall = Schemas['MyOnCallOut'];

/** GET /push/subscriptions: the endpoint itself is never echoed, only its push service. */
export interface Device {
  id: string;
  label?: string | null;
  push_service?: string;
  created_at?: string;
  last_success_at?: string | null;
  last_failure_at?: string | null;
  failure_count?: number;
  retired_at?: string | null;
  retired_reason?: string | null;
  working?: boolean;
  /** On the previous holder's list: a colleague registered this (shared) phone and holds it now. */
  moved_at?: string | null;
  moved_to?: PersonRef | null;
}

export interface Clock {
  id?: string;
  kind: string;
  label?: string;
  starts_at?: string;
  due_at: string;
  met?: boolean;
  met_at?: string | null;
  status?: 'open' | 'approaching' | 'overdue' | 'met';
  owner?: PersonRef | null;
}

/** An item of GET /handover (api/handover/contents.py). */
export interface HandoverItem {
  id: string;
  state: 'awaiting_pickup' | 'picked_up' | 'closed' | string;
  team?: TeamRef;
  due_at?: string;
  owner?: PersonRef | null;
  picked_up_at?: string | null;
  incident: {
    id: string;
    reference: string;
    kind: IncidentKind;
    kind_label?: string;
    state: IncidentState;
    priority?: string | null;
    occurred_at?: string;
    station?: StationRef;
    teams?: TeamRef[];
    uncovered?: boolean;
  };
  what_happened?: { summary?: string; circumstances?: string | null };
  decisions?: { reasons?: string[]; categories?: string[]; needs_manager_review?: boolean };
  support_offers?: SupportOffer[];
  handover_notes?: HandoverNote[];
  clocks?: Clock[];
  open_clocks?: Clock[];
  /** "Consider an NRM referral" (null when no rule applies). */
  nrm?: Schemas['NrmOut'] | null;
  /** The item's team's page while nobody has answered it (null once acknowledged, uncovered or cancelled). */
  being_paged?: Schemas['BoardPage'] | null;
}

export interface RotaGap {
  team: TeamRef;
  level: string;
  starts_at: string;
  ends_at: string;
  reason?: 'nobody' | 'no_working_device' | string;
}

/** GET /board (managers). */
/** One open page of a board incident: its current escalation level and whom it pages. */
export type BoardPage = Schemas['BoardPage'];
export type BoardIncident = IncidentSummary & { pages?: BoardPage[] };

export interface Board {
  unacknowledged: BoardIncident[];
  uncovered: BoardIncident[];
  needs_review?: IncidentSummary[];
  rota_gaps: RotaGap[];
}

/** GET /young-people/{id}: the record and the incidents (of every merged record) the reader may see. */
export type YoungPerson = Schemas['YoungPersonOut'];

/** GET /young-people/{id}/possible-matches: the child's records, open suggestions and merges. */
export type PossibleMatches = Schemas['PossibleMatchesOut'];
export type PossibleMatch = Schemas['PossibleMatchOut'];
export type PersonMerge = Schemas['MergeOut'];

/** GET /places (case roles), GET /places/suggestions (police too), GET /places/{id}/profile. */
export type Place = Schemas['PlaceOut'];
export type PlaceList = Schemas['PlaceList'];
export type PlaceSuggestion = Schemas['PlaceSuggestion'];
export type PlaceSuggestions = Schemas['PlaceSuggestions'];
export type PlaceProfile = Schemas['PlaceProfile'];
/** POST|GET /places/{id}/strategy-meetings, PATCH /places/{id}/strategy-actions/{id}. */
export type StrategyMeetingIn = Schemas['StrategyMeetingIn'];
export type StrategyMeeting = Schemas['StrategyMeetingOut'];
export type StrategyAction = Schemas['StrategyActionOut'];
export type ReviewClock = Schemas['ReviewClockOut'];
/** GET /young-people/{id}/network: the peers and persons of concern seen with the child. */
export type Network = Schemas['Network'];
export type PersonOfConcern = Schemas['PersonOfConcernOut'];

/** GET /reports/choices, /reports/custody, /reports/response (managers): the partnership reports. */
export type ReportChoices = Schemas['ReportChoicesOut'];
export type CustodyReport = Schemas['CustodyReportOut'];
export type ResponseReport = Schemas['ResponseReportOut'];
export type ReportRow = Schemas['BreakdownRow'];
export type ReportTime = Schemas['TimeFigure'];
export type ReportTrendMonth = Schemas['TrendMonth'];
