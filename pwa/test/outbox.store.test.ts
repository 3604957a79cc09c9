import { describe, expect, it } from 'vitest';
import { openLanternDb } from '../src/outbox/db';
import { signOut } from '../src/auth/signout';
import { clock, offerDraft, openOutbox, rawDump, reportDraft } from './helpers';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the outbox keeps what was typed', () => {
  it('saves a new record as "saved" under a random UUID before anything is sent', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    expect(item.id).toMatch(UUID);
    expect(item.state).toBe('saved');
    const again = await outbox.get(item.id);
    expect(again?.payload).toEqual(offerDraft());
    expect(await outbox.unsentCount()).toBe(1);
    outbox.close();
  });

  it('gives every record its own id, once, and keeps it through every state', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const a = await outbox.add(offerDraft());
    const b = await outbox.add(offerDraft());
    expect(a.id).not.toBe(b.id);

    await outbox.markSending([a.id]);
    await outbox.scheduleRetry(a.id, c.now() + 1000, { status: 0, title: 'No connection' });
    await outbox.markNeedsAttention(a.id, { status: 422, title: 'Invalid' });
    await outbox.retry(a.id);
    await outbox.markSent(a.id);
    const ids = (await outbox.list()).map((i) => i.id).sort();
    expect(ids).toEqual([a.id, b.id].sort());
    outbox.close();
  });

  it('counts saved, sending and needs-attention records as unsent, not sent ones', async () => {
    const outbox = await openOutbox();
    const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => outbox.add(offerDraft())));
    await outbox.markSending([b!.id]);
    await outbox.markNeedsAttention(c!.id, { status: 422, title: 'Invalid' });
    await outbox.markSent(d!.id);
    expect(await outbox.countByState()).toEqual({ saved: 1, sending: 1, needs_attention: 1, sent: 1 });
    expect(await outbox.unsentCount()).toBe(3);
    expect(a).toBeDefined();
    outbox.close();
  });

  it('never drops a rejected record: it stays, with the problem, until explicitly discarded', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(reportDraft());
    await outbox.markNeedsAttention(item.id, {
      status: 422,
      title: 'Validation failed',
      errors: [{ field: 'police_station', message: 'unknown station' }],
    });
    const kept = await outbox.get(item.id);
    expect(kept?.state).toBe('needs_attention');
    expect(kept?.payload.problem?.errors?.[0]?.field).toBe('police_station');
    expect(kept?.payload.body).toEqual(reportDraft().body);
    expect(await outbox.due()).toEqual([]);

    await outbox.discard(item.id);
    expect(await outbox.get(item.id)).toBeUndefined();
    outbox.close();
  });

  it('lets a corrected record go again with the same id', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(reportDraft());
    await outbox.markNeedsAttention(item.id, { status: 422, title: 'Validation failed' });
    const fixed = { ...reportDraft().body, police_station: 'Euston Street custody' };
    await outbox.retry(item.id, { body: fixed });
    const again = await outbox.get(item.id);
    expect(again?.state).toBe('saved');
    expect(again?.payload.problem).toBeUndefined();
    expect((again?.payload.body as { police_station: string }).police_station).toBe('Euston Street custody');
    expect((await outbox.due()).map((i) => i.id)).toEqual([item.id]);
    outbox.close();
  });

  it('drops the personal content of a record once the server has it', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(reportDraft());
    await outbox.markSent(item.id, { id: 'srv-1', reference: 'LAN-2026-000123' });
    const sent = await outbox.get(item.id);
    expect(sent?.state).toBe('sent');
    expect(sent?.payload.result).toEqual({ id: 'srv-1', reference: 'LAN-2026-000123' });
    expect(JSON.stringify(sent)).not.toContain('Jordan');
    outbox.close();
  });

  it('prunes old sent records only', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const sent = await outbox.add(offerDraft());
    const waiting = await outbox.add(offerDraft());
    await outbox.markSent(sent.id);
    c.advance(25 * 3600_000);
    await outbox.pruneSent(24 * 3600_000);
    expect((await outbox.list()).map((i) => i.id)).toEqual([waiting.id]);
    outbox.close();
  });

  it('orders due records oldest first and holds back those waiting for their backoff', async () => {
    const c = clock();
    const outbox = await openOutbox(c.now);
    const first = await outbox.add(offerDraft());
    c.advance(10);
    const second = await outbox.add(reportDraft());
    c.advance(10);
    const later = await outbox.add(offerDraft());
    await outbox.scheduleRetry(later.id, c.now() + 60_000);
    expect((await outbox.due()).map((i) => i.id)).toEqual([first.id, second.id]);
    expect(await outbox.nextAttemptAt()).toBe(c.now() - 20);
    c.advance(60_000);
    expect((await outbox.due()).map((i) => i.id)).toEqual([first.id, second.id, later.id]);
    outbox.close();
  });
});

describe('encryption at rest', () => {
  it('holds no plaintext of a name, note or station in raw IndexedDB', async () => {
    const outbox = await openOutbox();
    await outbox.add(reportDraft());
    const offer = await outbox.add(offerDraft());
    await outbox.markNeedsAttention(offer.id, { status: 422, title: 'Rejected', detail: 'Jordan is not known' });
    outbox.close();

    const raw = await rawDump();
    expect(raw.text).not.toMatch(/Jordan/i);
    expect(raw.text).not.toContain('Okafor');
    expect(raw.text).not.toContain('2010-05-04');
    expect(raw.text).not.toContain('Bus station');
    expect(raw.text).not.toContain('lift home');
    expect(raw.text).toContain('support_offer'); // the generic kind is metadata, in clear
  });

  it('uses random UUIDs as keys and generic index names', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(reportDraft());
    outbox.close();
    const raw = await rawDump();
    expect(raw.stores.sort()).toEqual(['catalogue', 'keys', 'records', 'vault']);
    expect(raw.indexes.sort()).toEqual(['kind', 'state']);
    expect(raw.keys).toContain(a.id);
    for (const key of raw.keys) expect(String(key)).toMatch(/^([0-9a-f-]{36}|k1)$/);
  });

  it('keeps one non-extractable AES-GCM key, generated once', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    await outbox.add(offerDraft());
    const db = outbox.db;
    const keys = await db.getAll('keys');
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: 'AES-GCM', length: 256 });
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();
    outbox.close();
  });

  it('encrypts every write with a fresh 12-byte IV', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(offerDraft());
    const b = await outbox.add(offerDraft());
    const db = outbox.db;
    const ra = (await db.get('records', a.id))!;
    const rb = (await db.get('records', b.id))!;
    expect(ra.iv).toHaveLength(12);
    expect(Buffer.from(ra.iv).equals(Buffer.from(rb.iv))).toBe(false);
    await outbox.markNeedsAttention(a.id, { status: 422, title: 'Invalid' });
    const ra2 = (await db.get('records', a.id))!;
    expect(Buffer.from(ra2.iv).equals(Buffer.from(ra.iv))).toBe(false);
    outbox.close();
  });

  it('binds each ciphertext to its record id, so swapped bodies do not decrypt', async () => {
    const outbox = await openOutbox();
    const a = await outbox.add(offerDraft());
    const b = await outbox.add(reportDraft());
    const db = outbox.db;
    const ra = (await db.get('records', a.id))!;
    const rb = (await db.get('records', b.id))!;
    await db.put('records', { ...ra, iv: rb.iv, data: rb.data });
    await expect(outbox.get(a.id)).rejects.toThrow();
    outbox.close();
  });

  it('reopens after a reload and still reads its records with the stored key', async () => {
    const first = await openOutbox();
    const item = await first.add(offerDraft());
    first.close();
    const second = await openOutbox();
    expect((await second.get(item.id))?.payload).toEqual(offerDraft());
    second.close();
  });
});

describe('sign-out', () => {
  it('wipes everything when nothing is unsent', async () => {
    const outbox = await openOutbox();
    const item = await outbox.add(offerDraft());
    await outbox.markSent(item.id);
    expect(await signOut(outbox)).toEqual({ done: true });
    expect(await outbox.list()).toEqual([]);
    expect(await outbox.db.getAll('keys')).toEqual([]);
    outbox.close();
  });

  it('refuses to wipe while records are unsent, and says how many', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    const rejected = await outbox.add(reportDraft());
    await outbox.markNeedsAttention(rejected.id, { status: 422, title: 'Invalid' });
    expect(await signOut(outbox)).toEqual({ done: false, unsent: 2 });
    expect(await outbox.unsentCount()).toBe(2);
    outbox.close();
  });

  it('discards unsent records only when explicitly asked to', async () => {
    const outbox = await openOutbox();
    await outbox.add(offerDraft());
    expect(await signOut(outbox, { discardUnsent: true })).toEqual({ done: true });
    expect(await outbox.unsentCount()).toBe(0);
    outbox.close();
    const db = await openLanternDb('lantern-test');
    expect(await db.count('vault')).toBe(0);
    db.close();
  });
});
