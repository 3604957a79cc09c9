// The outbox: the only truth for records not yet accepted by the server.
//
// A record is written here, encrypted, before any network attempt. Its id comes from
// crypto.randomUUID() once, at creation, and is reused on every attempt so the server's
// upsert makes replays harmless. States: saved → sending → sent, or needs_attention when
// the server rejected it; a record is never dropped except by an explicit discard.
import { getKey, forgetKey, open, seal } from './crypto';
import { openLanternDb, type LanternDB, type RecordState, type StoredRecord } from './db';
import {
  UNSENT_STATES,
  type OutboxDraft,
  type OutboxItem,
  type OutboxPayload,
  type Problem,
} from './types';

export interface OutboxOptions {
  now?: () => number;
  /** BroadcastChannel name used to tell other tabs that the outbox changed. */
  channel?: string;
}

type Listener = () => void;

export class Outbox {
  private listeners = new Set<Listener>();
  private channel: BroadcastChannel | null = null;
  private readonly now: () => number;
  private lastCreated = 0;

  constructor(
    readonly db: LanternDB,
    options: OutboxOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    if (options.channel && typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(options.channel);
      this.channel.onmessage = () => this.emit(false);
    }
  }

  static async open(name?: string, options?: OutboxOptions): Promise<Outbox> {
    return new Outbox(await openLanternDb(name), options);
  }

  /** Save a new record, before any attempt to send it. */
  async add(draft: OutboxDraft, options: { savedOffline?: boolean } = {}): Promise<OutboxItem> {
    const id = crypto.randomUUID();
    // Strictly increasing within a tab, so records typed in one millisecond keep their order.
    const now = this.now();
    const created = Math.max(now, this.lastCreated + 1);
    this.lastCreated = created;
    const item: OutboxItem = {
      id,
      kind: draft.kind,
      state: 'saved',
      created_at: created,
      updated_at: now,
      attempts: 0,
      next_attempt_at: now,
      payload: options.savedOffline ? { ...draft, saved_offline: true } : { ...draft },
    };
    await this.db.add('records', await this.toStored(item));
    this.emit();
    return item;
  }

  async get(id: string): Promise<OutboxItem | undefined> {
    const stored = await this.db.get('records', id);
    return stored ? this.fromStored(stored) : undefined;
  }

  /** Every record, oldest first. */
  async list(): Promise<OutboxItem[]> {
    const all = await this.db.getAll('records');
    const items = await Promise.all(all.map((r) => this.fromStored(r)));
    return items.sort(byCreation);
  }

  async countByState(): Promise<Record<RecordState, number>> {
    const counts: Record<RecordState, number> = { saved: 0, sending: 0, sent: 0, needs_attention: 0 };
    const tx = this.db.transaction('records');
    for (const state of Object.keys(counts) as RecordState[]) {
      counts[state] = await tx.store.index('state').count(state);
    }
    await tx.done;
    return counts;
  }

  /** Records the server has not accepted yet, including those that need attention. */
  async unsentCount(): Promise<number> {
    const counts = await this.countByState();
    return UNSENT_STATES.reduce((sum, s) => sum + counts[s], 0);
  }

  /**
   * Records to send now, oldest first. A record left in `sending` by a closed tab is due
   * again: the caller holds the outbox lock, so nobody else is sending it.
   */
  async due(now = this.now()): Promise<OutboxItem[]> {
    const tx = this.db.transaction('records');
    const saved = await tx.store.index('state').getAll('saved');
    const sending = await tx.store.index('state').getAll('sending');
    await tx.done;
    const ready = [...saved.filter((r) => r.next_attempt_at <= now), ...sending];
    const items = await Promise.all(ready.map((r) => this.fromStored(r)));
    return items.sort(byCreation);
  }

  /** When the earliest waiting record may be tried again, or null when none waits. */
  async nextAttemptAt(): Promise<number | null> {
    const saved = await this.db.getAllFromIndex('records', 'state', 'saved');
    if (!saved.length) return null;
    return Math.min(...saved.map((r) => r.next_attempt_at));
  }

  async markSending(ids: string[]): Promise<void> {
    await this.updateMeta(ids, (r) => ({ ...r, state: 'sending' }));
  }

  /**
   * The server accepted the record. Its personal content is dropped; only the label and the
   * server's answer stay, so the list can say "sent".
   */
  async markSent(id: string, result?: OutboxPayload['result']): Promise<void> {
    await this.rewrite(id, (item) => ({
      ...item,
      state: 'sent',
      payload: stripForSent(item.payload, result),
    }));
  }

  /** A transient failure (network, 5xx, 408, 429): wait, then try again. */
  async scheduleRetry(id: string, nextAttemptAt: number, problem?: Problem): Promise<void> {
    await this.rewrite(id, (item) => ({
      ...item,
      state: 'saved',
      attempts: item.attempts + 1,
      next_attempt_at: nextAttemptAt,
      payload: problem ? { ...item.payload, problem } : item.payload,
    }));
  }

  /** Not sent, through no fault of the record (e.g. the session expired): back to saved. */
  async release(ids: string[]): Promise<void> {
    await this.updateMeta(ids, (r) => (r.state === 'sending' ? { ...r, state: 'saved' } : r));
  }

  /** The server rejected the record: keep it, show it, never drop it. */
  async markNeedsAttention(
    id: string,
    problem: Problem,
    server?: { version?: string; current?: unknown },
  ): Promise<void> {
    await this.rewrite(id, (item) => ({
      ...item,
      state: 'needs_attention',
      payload: {
        ...item.payload,
        problem,
        ...(server?.version !== undefined ? { server_version: server.version } : {}),
        ...(server?.current !== undefined ? { server_current: server.current } : {}),
      },
    }));
  }

  /**
   * Try a record that needs attention again, optionally with a corrected body, or, after a
   * conflict, overwriting the server's copy (If-Match with the version it reported).
   */
  async retry(id: string, options: { body?: OutboxDraft['body']; overwrite?: boolean } = {}): Promise<void> {
    await this.rewrite(id, (item) => {
      const payload = { ...item.payload } as OutboxPayload;
      if (options.body) (payload as { body: unknown }).body = options.body;
      if (options.overwrite && payload.server_version) payload.if_match = payload.server_version;
      delete payload.problem;
      return { ...item, state: 'saved', attempts: 0, next_attempt_at: this.now(), payload };
    });
  }

  /**
   * An update of `incidentId` was accepted and moved it from version `from` to `to`: later
   * updates of it saved on this device against `from` were made on top of what this device
   * sent, so they go with `to` (not a conflict with ourselves). Returns how many moved.
   */
  async rebaseUpdates(incidentId: string, from: string, to: string): Promise<number> {
    const waiting = (await this.list()).filter(
      (i) =>
        i.payload.kind === 'incident_update' &&
        i.payload.incident_id === incidentId &&
        i.payload.if_match === from &&
        (i.state === 'saved' || i.state === 'sending'),
    );
    for (const item of waiting) {
      await this.rewrite(item.id, (current) => ({ ...current, payload: { ...current.payload, if_match: to } as OutboxPayload }));
    }
    return waiting.length;
  }

  /** The user explicitly gave a record up. The only way a record leaves unsent. */
  async discard(id: string): Promise<void> {
    await this.db.delete('records', id);
    this.emit();
  }

  /** Remove sent records older than `maxAge` ms (their content is already gone). */
  async pruneSent(maxAge: number): Promise<void> {
    const sent = await this.db.getAllFromIndex('records', 'state', 'sent');
    const cutoff = this.now() - maxAge;
    const old = sent.filter((r) => r.updated_at < cutoff);
    if (!old.length) return;
    const tx = this.db.transaction('records', 'readwrite');
    await Promise.all(old.map((r) => tx.store.delete(r.id)));
    await tx.done;
    this.emit();
  }

  /** Wipe every local trace: records, sealed values, catalogues and the key itself. */
  async wipeAll(): Promise<void> {
    const tx = this.db.transaction(['records', 'vault', 'catalogue', 'keys'], 'readwrite');
    await Promise.all([
      tx.objectStore('records').clear(),
      tx.objectStore('vault').clear(),
      tx.objectStore('catalogue').clear(),
      tx.objectStore('keys').clear(),
    ]);
    await tx.done;
    forgetKey(this.db);
    this.emit();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.channel?.close();
    this.channel = null;
    this.db.close();
  }

  private emit(broadcast = true): void {
    for (const l of this.listeners) l();
    if (broadcast) this.channel?.postMessage('changed');
  }

  private async updateMeta(ids: string[], change: (r: StoredRecord) => StoredRecord): Promise<void> {
    if (!ids.length) return;
    const tx = this.db.transaction('records', 'readwrite');
    for (const id of ids) {
      const r = await tx.store.get(id);
      if (r) await tx.store.put({ ...change(r), updated_at: this.now() });
    }
    await tx.done;
    this.emit();
  }

  /** Decrypt, change, re-encrypt with a fresh IV. A discarded record stays discarded. */
  private async rewrite(id: string, change: (item: OutboxItem) => OutboxItem): Promise<void> {
    const current = await this.get(id);
    if (!current) return;
    const next = change(current);
    const stored = await this.toStored({ ...next, id, updated_at: this.now() });
    const tx = this.db.transaction('records', 'readwrite');
    if (await tx.store.get(id)) await tx.store.put(stored);
    await tx.done;
    this.emit();
  }

  private async toStored(item: OutboxItem): Promise<StoredRecord> {
    const key = await getKey(this.db);
    const { iv, data } = await seal(key, item.id, item.payload);
    const { payload: _payload, ...meta } = item;
    return { ...meta, iv, data };
  }

  private async fromStored(stored: StoredRecord): Promise<OutboxItem> {
    const key = await getKey(this.db);
    const payload = await open<OutboxPayload>(key, stored.id, stored);
    const { iv: _iv, data: _data, ...meta } = stored;
    return { ...meta, payload };
  }
}

function byCreation(a: OutboxItem, b: OutboxItem): number {
  return a.created_at - b.created_at || a.id.localeCompare(b.id);
}

function stripForSent(payload: OutboxPayload, result?: OutboxPayload['result']): OutboxPayload {
  const kept: Record<string, unknown> = { kind: payload.kind, label: payload.label, body: {} };
  if (payload.saved_offline) kept.saved_offline = true;
  if ('incident_id' in payload) kept.incident_id = payload.incident_id;
  if (result) kept.result = result;
  return kept as unknown as OutboxPayload;
}
