// Shapes of the API's answers: aliases of `schema.d.ts`, which scripts/openapi.py generates from
// the API's /openapi.json (a pytest fails when it is stale). Nothing here is written by hand:
// where a screen needs a closed set of values, the API's read model declares it (a Literal or
// an enum), so the generated type carries it. tests/platform/test_pwa_api_types.py fails on a
// hand-written API type in pwa/src.
import type { components } from './schema';

export type { components, paths } from './schema';
type Schemas = components['schemas'];

/** Every role a user may hold (GET /me). */
export type Role = Schemas['MeOut']['roles'][number];

export type TeamRef = Schemas['TeamOfIncident'];
export type StationRef = Schemas['StationOfIncident'];
export type PersonRef = Schemas['PersonRef'];

/** GET /api/v1/me (police_station and station: police only). */
export type Me = Schemas['MeOut'];

export type IncidentState = Schemas['IncidentState'];

export type AckAction = NonNullable<Schemas['IncidentItem']['acknowledged_action']>;

/** GET /api/v1/indicators */
export type Indicator = Schemas['IndicatorOut'];

/** GET /api/v1/support-offer-kinds */
export type OfferKind = Schemas['OfferKindOut'];

/**
 * What police may see of a report (GET /incidents/{id}/status): the response, never case
 * notes; the police-visible timeline, and the teams it was routed to and why.
 */
export type IncidentStatus = Schemas['IncidentStatusOut'];

/** An item of GET /incidents: police see the status fields only, case roles the summary. */
export type IncidentSummary = Schemas['IncidentItem'];

/** GET /incidents (cursor-paged). */
export type IncidentPage = Schemas['IncidentPage'];

export type TimelineEntry = Schemas['TimelineEntryOut'];

export type SupportOffer = Schemas['SupportOfferOut'];

export type HandoverNote = Schemas['HandoverNoteOut'];

/** One page of an incident: levels, deliveries and acknowledgements (staff names only). */
export type PageSummary = Schemas['PageOut'];

/** GET /incidents/{id} for case roles. */
export type IncidentDetail = Schemas['IncidentDetailOut'];

/** A shift of GET /me/on-call. */
export type OnCallShift = Schemas['MyShift'];

/** GET /me/on-call: every shift I am on now, and my next one. */
export type MyOnCall = Schemas['MyOnCallOut'];

/** GET /push/subscriptions: the endpoint itself is never echoed, only its push service. */
export type Device = Schemas['SubscriptionOut'];

export type Clock = Schemas['ClockOut'];

/** An item of GET /handover (api/handover/contents.py). */
export type HandoverItem = Schemas['HandoverItemOut'];

/** GET /handover: the team's queue. */
export type HandoverQueue = Schemas['HandoverQueue'];

export type RotaGap = Schemas['RotaGapOut'];

/** One open page of a board incident: its current escalation level and whom it pages. */
export type BoardPage = Schemas['BoardPage'];
export type BoardIncident = Schemas['BoardItem'];

/** GET /board (managers). */
export type Board = Schemas['BoardOut'];

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
