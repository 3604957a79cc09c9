// Changes to an incident after intake, as outbox drafts: custody events (police of the station)
// and indicators disclosed to a worker. Pure functions, so the forms and the tests share them.
import type { IncidentUpdateBody, OutboxDraft, OutboxItem } from './types';

export type CustodyEvent =
  | 'detained'
  | 'appropriate_adult_arrived'
  | 'charged'
  | 'bail_refused'
  | 'released'
  | 'transferred'
  | 'returned_home';

export const CUSTODY_EVENTS: readonly CustodyEvent[] = [
  'detained',
  'appropriate_adult_arrived',
  'charged',
  'bail_refused',
  'released',
  'transferred',
  'returned_home',
];

export const CUSTODY_EVENT_LABELS: Record<CustodyEvent, string> = {
  detained: 'Detained',
  appropriate_adult_arrived: 'Appropriate adult arrived',
  charged: 'Charged',
  bail_refused: 'Bail refused (after an earlier charge)',
  released: 'Released',
  transferred: 'Transferred to local-authority accommodation',
  returned_home: 'Returned home',
};

/** The PATCH body of one custody event at `at` (ISO); a charge may come with bail refused. */
export function custodyEventBody(event: CustodyEvent, at: string, options: { bailRefused?: boolean } = {}): IncidentUpdateBody {
  switch (event) {
    case 'detained':
      return { detained_at: at };
    case 'appropriate_adult_arrived':
      return { appropriate_adult_arrived_at: at };
    case 'charged':
      return options.bailRefused ? { charged_at: at, bail_refused: true } : { charged_at: at };
    case 'bail_refused':
      return { bail_refused: true };
    case 'released':
      return { released_at: at };
    case 'transferred':
      return { transferred_at: at };
    case 'returned_home':
      return { returned_home_at: at };
  }
}

/** A short, non-personal description of an update for lists (no names, no free text). */
export function describeUpdate(body: IncidentUpdateBody, labelOf: (code: string) => string = (c) => c): string {
  const parts: string[] = [];
  if (body.detained_at) parts.push('detained');
  if (body.appropriate_adult_arrived_at) parts.push('appropriate adult arrived');
  if (body.charged_at) parts.push('charged');
  if (body.bail_refused) parts.push('bail refused');
  if (body.released_at) parts.push('released');
  if (body.transferred_at) parts.push('transferred to local-authority accommodation');
  if (body.returned_home_at) parts.push('returned home');
  if (body.indicators?.length) parts.push(`disclosed: ${body.indicators.map((i) => labelOf(i.code)).join(', ')}`);
  return parts.join(', ');
}

export function custodyEventDraft(
  incident: { id: string; reference: string; version: number },
  event: CustodyEvent,
  at: string,
  options: { bailRefused?: boolean } = {},
): OutboxDraft {
  const body = custodyEventBody(event, at, options);
  return {
    kind: 'incident_update',
    incident_id: incident.id,
    if_match: String(incident.version),
    label: `Custody event · ${describeUpdate(body)}${incident.reference ? ` · ${incident.reference}` : ''}`,
    body,
  };
}

export function disclosureDraft(
  incident: { id: string; reference: string; version: number },
  codes: string[],
  labelOf: (code: string) => string = (c) => c,
): OutboxDraft {
  const body: IncidentUpdateBody = { indicators: codes.map((code) => ({ code })) };
  return {
    kind: 'incident_update',
    incident_id: incident.id,
    if_match: String(incident.version),
    label: `Disclosed to worker · ${codes.map(labelOf).join(', ')}${incident.reference ? ` · ${incident.reference}` : ''}`,
    body,
  };
}

/** What a person must know of an update the server did not take. */
export interface UpdateTrouble {
  /** 412: the incident changed on the server since the version this update was made on. */
  stale: boolean;
  /** The version the server holds now, when it said. */
  serverVersion?: string;
  madeOn: string;
}

export function troubleOf(item: OutboxItem): UpdateTrouble | null {
  const p = item.payload;
  if (p.kind !== 'incident_update' || item.state !== 'needs_attention') return null;
  return {
    stale: p.problem?.status === 412,
    madeOn: p.if_match,
    ...(p.server_version ? { serverVersion: p.server_version } : {}),
  };
}
