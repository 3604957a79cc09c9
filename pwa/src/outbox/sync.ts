// The sync engine: sends what the outbox holds, one tab at a time, exactly as often as needed.
//
// Verdicts: 2xx → sent; 401 → back to saved and ask the person to sign in again;
// 408, 429, 5xx, no network → saved, tried again after a capped, jittered backoff;
// 409 (another body is stored) and 412 (a stale If-Match) → needs attention with the server's
// version and content; any other 4xx → needs attention.
//
// Offers and handover notes go as `PUT /incidents/{id}/support-offers/{record id}` and
// `PUT /incidents/{id}/handover-note/{record id}`; two or more of them as one `POST /sync`.
// Incident updates (custody events, disclosed indicators) go one by one as
// `PATCH /incidents/{id}` with If-Match (the version the person saw) and the record id as
// Idempotency-Key, so a replay after a lost answer gets the first answer, never a second change.
// An accepted update moves this device's later updates of the same incident to the new version;
// a 412 (someone else changed it) waits for the person: reload, check, send again.
import type { components } from '../api/schema';
import type { Outbox } from './store';
import type { OutboxItem, Problem } from './types';

export const OUTBOX_LOCK = 'lantern-outbox';
export const BACKOFF_BASE_MS = 2_000;
export const BACKOFF_CAP_MS = 5 * 60_000;
/** The most records the server takes in one POST /sync. */
export const BATCH_MAX = 100;

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface SyncDeps {
  outbox: Outbox;
  fetch: FetchLike;
  getToken: () => Promise<string | null>;
  onUnauthorised?: () => void;
  /** navigator.locks where it exists: one tab (or the service worker) sends at a time. */
  locks?: Pick<LockManager, 'request'> | null;
  now?: () => number;
  random?: () => number;
  base?: string;
}

export interface SyncReport {
  ran: boolean;
  reason?: 'locked' | 'no_token' | 'unauthorised';
  sent: number;
  retrying: number;
  needs_attention: number;
}

type Verdict = 'sent' | 'retry' | 'needs_attention' | 'unauthorised';

/** Delay before attempt `attempts + 1`: exponential, capped, with jitter over its upper half. */
export function backoffDelay(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempts);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Retry-After in ms (delta-seconds or an HTTP date), or 0. */
export function retryAfterMs(header: string | null, now: number): number {
  if (!header) return 0;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}

export function createSyncEngine(deps: SyncDeps) {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const base = deps.base ?? '/api/v1';
  let inFlight: Promise<SyncReport> | null = null;
  let again = false;
  let forceAgain = false;
  let batchUnsupported = false;

  /**
   * Single flight: a call while a pass runs asks for one more pass and shares its promise.
   * `force` ignores the backoff (the network came back, the app opened, a person tapped "Send").
   */
  function run(options: { force?: boolean } = {}): Promise<SyncReport> {
    if (inFlight) {
      again = true;
      forceAgain ||= Boolean(options.force);
      return inFlight;
    }
    inFlight = (async () => {
      let report: SyncReport;
      let force = Boolean(options.force);
      do {
        again = false;
        report = await underLock(force);
        force = forceAgain;
        forceAgain = false;
      } while (again && report.ran && !report.reason);
      return report;
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  function underLock(force: boolean): Promise<SyncReport> {
    if (!deps.locks) return pass(force);
    return deps.locks.request(OUTBOX_LOCK, { ifAvailable: true }, (lock) =>
      lock ? pass(force) : { ...empty(), ran: false, reason: 'locked' as const },
    ) as Promise<SyncReport>;
  }

  async function pass(force: boolean): Promise<SyncReport> {
    const report = empty();
    const token = await deps.getToken();
    if (!token) return { ...report, ran: false, reason: 'no_token' };
    const due = await deps.outbox.due(force ? Number.POSITIVE_INFINITY : now());
    if (!due.length) return report;
    await deps.outbox.markSending(due.map((i) => i.id));

    const batchable = batchUnsupported ? [] : due.filter((i) => isBatchable(i)).slice(0, BATCH_MAX);
    const batch = batchable.length > 1 ? batchable : [];
    let queue = due.filter((i) => !batch.includes(i));

    if (batch.length) {
      const outcome = await sendBatch(batch, token, report);
      if (outcome === 'unauthorised') return stopUnauthorised(due, report);
      if (outcome === 'fallback') queue = due;
    }
    for (let n = 0; n < queue.length; n++) {
      const verdict = await sendOne(queue[n]!, token);
      if (verdict === 'unauthorised') return stopUnauthorised(queue.slice(n), report);
      count(report, verdict);
    }
    return report;
  }

  async function stopUnauthorised(items: OutboxItem[], report: SyncReport): Promise<SyncReport> {
    await deps.outbox.release(items.map((i) => i.id));
    deps.onUnauthorised?.();
    return { ...report, reason: 'unauthorised' };
  }

  async function sendOne(queued: OutboxItem, token: string): Promise<Verdict> {
    // An update may have been moved to a newer version by the one sent just before it.
    const item = queued.payload.kind === 'incident_update' ? ((await deps.outbox.get(queued.id)) ?? queued) : queued;
    const { url, init } = requestFor(item, token);
    let response: Response;
    try {
      response = await deps.fetch(url, init);
    } catch {
      await retryLater(item, 0, { status: 0, title: 'No connection' });
      return 'retry';
    }
    return settle(item, response);
  }

  function requestFor(item: OutboxItem, token: string): { url: string; init: RequestInit } {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, application/problem+json',
    };
    const p = item.payload;
    switch (p.kind) {
      case 'support_offer':
        if (p.if_match) headers['If-Match'] = `"${p.if_match}"`;
        return {
          url: `${base}/incidents/${p.incident_id}/support-offers/${item.id}`,
          init: { method: 'PUT', headers, body: JSON.stringify(recordBody(item)) },
        };
      case 'handover_note':
        if (p.if_match) headers['If-Match'] = `"${p.if_match}"`;
        return {
          url: `${base}/incidents/${p.incident_id}/handover-note/${item.id}`,
          init: { method: 'PUT', headers, body: JSON.stringify(recordBody(item)) },
        };
      case 'incident_report':
        headers['Idempotency-Key'] = item.id;
        return {
          url: `${base}/incidents`,
          init: { method: 'POST', headers, body: JSON.stringify(p.body) },
        };
      case 'incident_update':
        headers['If-Match'] = `"${p.if_match}"`;
        headers['Idempotency-Key'] = item.id;
        return {
          url: `${base}/incidents/${p.incident_id}`,
          init: { method: 'PATCH', headers, body: JSON.stringify(p.body) },
        };
    }
  }

  async function settle(item: OutboxItem, response: Response): Promise<Verdict> {
    const status = response.status;
    if (response.ok) {
      const body = await readJson(response);
      const result = resultOf(body, response);
      await deps.outbox.markSent(item.id, result);
      const p = item.payload;
      if (p.kind === 'incident_update' && result?.version && result.version !== p.if_match) {
        await deps.outbox.rebaseUpdates(p.incident_id, p.if_match, result.version);
      }
      return 'sent';
    }
    if (status === 401) return 'unauthorised';
    if (status === 408 || status === 429 || status >= 500) {
      const { problem } = await problemOf(response);
      await retryLater(item, retryAfterMs(response.headers.get('Retry-After'), now()), problem);
      return 'retry';
    }
    const { problem, server } = await problemOf(response);
    await deps.outbox.markNeedsAttention(item.id, problem, status === 409 || status === 412 ? server : undefined);
    return 'needs_attention';
  }

  async function sendBatch(
    items: OutboxItem[],
    token: string,
    report: SyncReport,
  ): Promise<'done' | 'fallback' | 'unauthorised'> {
    const body = { items: items.map(batchItem) };
    let response: Response;
    try {
      response = await deps.fetch(`${base}/sync`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': 'application/json',
          Accept: 'application/json, application/problem+json',
        },
        body: JSON.stringify(body),
      });
    } catch {
      for (const i of items) await retryLater(i, 0, { status: 0, title: 'No connection' });
      report.retrying += items.length;
      return 'done';
    }
    const status = response.status;
    if (status === 401) return 'unauthorised';
    if (status === 408 || status === 429 || status >= 500) {
      const wait = retryAfterMs(response.headers.get('Retry-After'), now());
      const { problem } = await problemOf(response);
      for (const i of items) await retryLater(i, wait, problem);
      report.retrying += items.length;
      return 'done';
    }
    if (!response.ok) {
      // No batch endpoint here, or it disliked the envelope: let each offer get its own verdict.
      if (status === 404 || status === 405 || status === 501) batchUnsupported = true;
      return 'fallback';
    }
    const answer = (await readJson(response)) as { results?: BatchResult[] } | null;
    const results = answer?.results ?? [];
    const byId = new Map(results.map((r) => [r.offer_id ?? r.note_id, r]));
    for (let n = 0; n < items.length; n++) {
      const item = items[n]!;
      // One answer per item, in the order sent; the id says which where the server names it.
      const r = byId.get(item.id) ?? (results[n] && !(results[n]!.offer_id ?? results[n]!.note_id) ? results[n] : undefined);
      if (!r) {
        await retryLater(item, 0, { status: 0, title: 'No answer for this record' });
        report.retrying++;
      } else if (r.status === 'created' || r.status === 'unchanged' || r.status === 'updated') {
        await deps.outbox.markSent(item.id, r.version !== undefined && r.version !== null ? { version: String(r.version) } : undefined);
        report.sent++;
      } else if (r.status === 'conflict') {
        const stale = r.status_code === 412;
        await deps.outbox.markNeedsAttention(
          item.id,
          {
            status: r.status_code ?? 409,
            title: stale ? 'Changed on the server meanwhile' : 'Changed on the server',
            detail: r.detail ?? 'Someone saved a different version of this record.',
          },
          {
            ...(r.version !== undefined && r.version !== null ? { version: String(r.version) } : {}),
            ...(r.current !== undefined && r.current !== null ? { current: r.current } : {}),
          },
        );
        report.needs_attention++;
      } else {
        await deps.outbox.markNeedsAttention(item.id, {
          status: r.status_code ?? 422,
          title: 'Rejected by the server',
          ...(r.detail ? { detail: r.detail } : {}),
          ...(r.errors ? { errors: r.errors } : {}),
        });
        report.needs_attention++;
      }
    }
    return 'done';
  }

  async function retryLater(item: OutboxItem, atLeast: number, problem: Problem): Promise<void> {
    const delay = Math.max(atLeast, backoffDelay(item.attempts, random));
    await deps.outbox.scheduleRetry(item.id, now() + delay, problem);
  }

  return { run };
}

/** The body of an offer or a note as sent: the record, plus whether it waited on the device. */
function recordBody(item: OutboxItem): Record<string, unknown> {
  const p = item.payload;
  const capturedOffline = Boolean(p.saved_offline) || item.attempts > 0;
  return { ...(p.body as unknown as Record<string, unknown>), captured_offline: capturedOffline };
}

function batchItem(item: OutboxItem): Record<string, unknown> {
  const p = item.payload as OutboxItem['payload'] & { incident_id: string };
  const version = p.if_match ? Number(p.if_match) : NaN;
  return {
    type: p.kind,
    incident_id: p.incident_id,
    [p.kind === 'handover_note' ? 'note_id' : 'offer_id']: item.id,
    ...(Number.isInteger(version) && version > 0 ? { if_match: version } : {}),
    body: recordBody(item),
  };
}

/** One record's answer in POST /sync. */
type BatchResult = components['schemas']['SyncResult'];

function isBatchable(item: OutboxItem): boolean {
  return item.payload.kind === 'support_offer' || item.payload.kind === 'handover_note';
}

function empty(): SyncReport {
  return { ran: true, sent: 0, retrying: 0, needs_attention: 0 };
}

function count(report: SyncReport, verdict: Verdict): void {
  if (verdict === 'sent') report.sent++;
  else if (verdict === 'retry') report.retrying++;
  else if (verdict === 'needs_attention') report.needs_attention++;
}

async function readJson(response: Response): Promise<unknown> {
  try {
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

interface ProblemAnswer {
  problem: Problem;
  /** What a 409 says about the server's copy: its version and, where given, its content. */
  server: { version?: string; current?: unknown };
}

async function problemOf(response: Response): Promise<ProblemAnswer> {
  const body = (await readJson(response)) as Record<string, unknown> | null;
  const problem: Problem = {
    status: response.status,
    title: typeof body?.title === 'string' ? body.title : response.statusText || `HTTP ${response.status}`,
  };
  if (typeof body?.detail === 'string') problem.detail = body.detail;
  if (typeof body?.type === 'string') problem.type = body.type;
  if (Array.isArray(body?.errors)) problem.errors = body.errors as Problem['errors'];

  const server: ProblemAnswer['server'] = {};
  const current = body?.current;
  if (current !== undefined) server.current = current;
  const etag = response.headers.get('ETag');
  const version =
    etag?.replace(/^W\//, '').replace(/"/g, '') ??
    body?.version ??
    body?.current_version ??
    (current && typeof current === 'object' ? (current as { version?: unknown }).version : undefined);
  if (version !== undefined && version !== null) server.version = String(version);
  return { problem, server };
}

function resultOf(body: unknown, response: Response): { id?: string; reference?: string; version?: string } | undefined {
  const result: { id?: string; reference?: string; version?: string } = {};
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.id === 'string') result.id = b.id;
    if (typeof b.reference === 'string') result.reference = b.reference;
    if (b.version !== undefined && b.version !== null) result.version = String(b.version);
  }
  const etag = response.headers.get('ETag');
  if (etag && result.version === undefined) result.version = etag.replace(/^W\//, '').replace(/"/g, '');
  return Object.keys(result).length ? result : undefined;
}
