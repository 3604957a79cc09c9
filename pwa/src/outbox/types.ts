import type { RecordKind, RecordState } from './db';

export type { RecordKind, RecordState };

export type OfferOutcome = 'accepted' | 'declined' | 'not_possible' | 'requested' | 'attended' | 'not_available';
export type IncidentKind = 'missing_return' | 'arrest' | 'stop_conversation';
export type Provenance = 'observed' | 'disclosed' | 'intelligence' | 'concern';

export interface SupportOfferBody {
  kind: string;
  outcome: OfferOutcome;
  offered_at: string;
  notes?: string;
}

export interface HandoverNoteBody {
  text: string;
}

export interface IncidentReportBody {
  kind: IncidentKind;
  occurred_at: string;
  police_station: string;
  police_reference?: string;
  young_person: {
    first_name: string;
    last_name: string;
    date_of_birth?: string;
    la_reference?: string;
  };
  location: { description: string; area?: string };
  /** The place the location is, chosen from GET /places/suggestions (the description stays). */
  place_id?: string;
  indicators: { code: string; provenance?: Provenance }[];
  circumstances?: string;
  custody_status?: string;
}

/**
 * A change to an incident after intake (PATCH /incidents/{id}): custody events from police of
 * the station, or indicators disclosed to a worker. Sent with If-Match (the version the person
 * saw) and the record id as Idempotency-Key.
 */
export interface IncidentUpdateBody {
  detained_at?: string;
  appropriate_adult_arrived_at?: string;
  charged_at?: string;
  bail_refused?: boolean;
  released_at?: string;
  transferred_at?: string;
  returned_home_at?: string;
  indicators?: { code: string }[];
}

/** What the user asked to send. `label` is a short, non-personal description for lists. */
export type OutboxDraft =
  | { kind: 'support_offer'; incident_id: string; label: string; body: SupportOfferBody }
  | { kind: 'handover_note'; incident_id: string; label: string; body: HandoverNoteBody }
  | { kind: 'incident_report'; label: string; body: IncidentReportBody }
  | { kind: 'incident_update'; incident_id: string; label: string; if_match: string; body: IncidentUpdateBody };

/** An RFC 9457 problem as the API returns it, or one we made up for a network failure. */
export interface Problem {
  status: number;
  title: string;
  detail?: string;
  type?: string;
  errors?: { field: string; message: string }[];
}

/** The encrypted part of a record. */
export type OutboxPayload = OutboxDraft & {
  /** Saved while the device was offline (sent as `captured_offline`, with records that waited). */
  saved_offline?: boolean;
  /** Why the record needs attention, or the last transient failure. */
  problem?: Problem;
  /** On a 409: the version the server holds, and what it holds where it says. */
  server_version?: string;
  server_current?: unknown;
  /** Set when the user chose to overwrite the server's copy after a conflict. */
  if_match?: string;
  /** What the server answered when the record was accepted (e.g. the incident's id and reference). */
  result?: { id?: string; reference?: string; version?: string };
};

export interface OutboxItem {
  id: string;
  kind: RecordKind;
  state: RecordState;
  created_at: number;
  updated_at: number;
  attempts: number;
  next_attempt_at: number;
  payload: OutboxPayload;
}

export const UNSENT_STATES: readonly RecordState[] = ['saved', 'sending', 'needs_attention'];
