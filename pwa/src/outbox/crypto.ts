// Encryption at rest: AES-GCM 256 under one non-extractable CryptoKey that lives in
// IndexedDB (structured clone keeps it non-extractable). Every write gets a fresh 12-byte IV,
// and the record's id is bound as additional data so ciphertexts cannot be swapped.
import type { LanternDB } from './db';

const KEY_ID = 'k1';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const keyCache = new WeakMap<LanternDB, Promise<CryptoKey>>();

/** The database's key, generated once on first use and never exported. */
export function getKey(db: LanternDB): Promise<CryptoKey> {
  let pending = keyCache.get(db);
  if (!pending) {
    pending = loadOrCreateKey(db);
    pending.catch(() => keyCache.delete(db));
    keyCache.set(db, pending);
  }
  return pending;
}

/** Forget the cached key (after the key store was cleared). */
export function forgetKey(db: LanternDB): void {
  keyCache.delete(db);
}

async function loadOrCreateKey(db: LanternDB): Promise<CryptoKey> {
  const existing = await db.get('keys', KEY_ID);
  if (existing) return existing;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const tx = db.transaction('keys', 'readwrite');
  // Another tab may have created one meanwhile: the first key written wins.
  const raced = await tx.store.get(KEY_ID);
  if (raced) {
    await tx.done;
    return raced;
  }
  await tx.store.add(key, KEY_ID);
  await tx.done;
  return key;
}

export interface Sealed {
  iv: Uint8Array;
  data: ArrayBuffer;
}

export async function seal(key: CryptoKey, bindTo: string, value: unknown): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: encoder.encode(bindTo) },
    key,
    encoder.encode(JSON.stringify(value)),
  );
  return { iv, data };
}

export async function open<T>(key: CryptoKey, bindTo: string, sealed: Sealed): Promise<T> {
  const plain = await crypto.subtle.decrypt(
    { name: 'AES-GCM', iv: sealed.iv as Uint8Array<ArrayBuffer>, additionalData: encoder.encode(bindTo) },
    key,
    sealed.data,
  );
  return JSON.parse(decoder.decode(plain)) as T;
}
