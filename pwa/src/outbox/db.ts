// The one IndexedDB database of the PWA. Store and index names are generic on purpose:
// nothing personal ever appears in a key, a store name or an index name.
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export type RecordKind = 'support_offer' | 'handover_note' | 'incident_report' | 'incident_update';
export type RecordState = 'saved' | 'sending' | 'sent' | 'needs_attention';

/** What IndexedDB holds for one outbox record: metadata in clear, the rest encrypted. */
export interface StoredRecord {
  /** crypto.randomUUID(), assigned once at creation; also the idempotency key. */
  id: string;
  kind: RecordKind;
  state: RecordState;
  created_at: number;
  updated_at: number;
  attempts: number;
  next_attempt_at: number;
  /** AES-GCM initialisation vector, fresh for every write. */
  iv: Uint8Array;
  /** AES-GCM ciphertext of the record's payload (JSON). */
  data: ArrayBuffer;
}

/** Encrypted values that are not outbox records (the session, cached incident details). */
export interface SealedValue {
  iv: Uint8Array;
  data: ArrayBuffer;
  saved_at: number;
}

export interface LanternSchema extends DBSchema {
  records: {
    key: string;
    value: StoredRecord;
    indexes: { state: RecordState; kind: RecordKind };
  };
  /** The non-extractable AES-GCM CryptoKey, stored by structured clone. */
  keys: { key: string; value: CryptoKey };
  vault: { key: string; value: SealedValue };
  /** Non-personal reference data (catalogues), kept in clear for offline forms. */
  catalogue: { key: string; value: { saved_at: number; value: unknown } };
}

export type LanternDB = IDBPDatabase<LanternSchema>;

export const DEFAULT_DB_NAME = 'lantern';
const DB_VERSION = 1;

export function openLanternDb(name: string = DEFAULT_DB_NAME): Promise<LanternDB> {
  return openDB<LanternSchema>(name, DB_VERSION, {
    upgrade(db) {
      const records = db.createObjectStore('records', { keyPath: 'id' });
      records.createIndex('state', 'state');
      records.createIndex('kind', 'kind');
      db.createObjectStore('keys');
      db.createObjectStore('vault');
      db.createObjectStore('catalogue');
    },
  });
}
