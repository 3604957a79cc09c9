import type { components } from '../api/schema';
import type { RecordKind, RecordState } from './db';

export type { RecordKind, RecordState };
type Schemas = components['schemas'];

export type OfferOutcome = Schemas['SupportOfferIn']['outcome'];
export type IncidentKind = Schemas['IncidentCreate']['kind'];
export type Provenance = NonNullable<Schemas['IndicatorIn']['provenance']>;

// The bodies of the API's writes, as the outbox keeps them (captured_offline is added when sent).
export type SupportOfferBody = Omit<Schemas['SupportOfferIn'], 'captured_offline'>;
export type HandoverNoteBody = Omit<Schemas['HandoverNoteIn'], 'captured_offline'>;
export type IncidentReportBody = Schemas['IncidentCreate'];

/**
 * A change to an incident after intake (PATCH /incidents/{id}): custody events from police of
 * the station, or indicators disclosed to a worker. Sent with If-Match (the version the person
 * saw) and the record id as Idempotency-Key.
 */
export type IncidentUpdateBody = Schemas['IncidentUpdate'];

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
