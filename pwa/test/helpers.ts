import type { components } from '../src/api/schema';
import { Outbox } from '../src/outbox/store';
import type { OutboxDraft } from '../src/outbox/types';

export const INCIDENT_ID = '0b5e1f3a-6c1d-4f7e-9a51-2d4c8e7b9f10';

export function offerDraft(notes = 'Jordan accepted a lift home'): OutboxDraft {
  return {
    kind: 'support_offer',
    incident_id: INCIDENT_ID,
    label: 'Support offer · safe lift home',
    body: { kind: 'safe_lift_home', outcome: 'accepted', offered_at: '2026-03-01T01:55:00+00:00', notes },
  };
}

export function reportDraft(): OutboxDraft {
  return {
    kind: 'incident_report',
    label: 'Report · arrest · Euston St custody',
    body: {
      kind: 'arrest',
      occurred_at: '2026-03-01T01:40:00+00:00',
      police_station: 'Euston St custody',
      young_person: { first_name: 'Jordan', last_name: 'Okafor-Whitlock', date_of_birth: '2010-05-04' },
      location: { description: 'Bus station, bay 4' },
      indicators: [{ code: 'unexplained_cash', provenance: 'observed' }],
      circumstances: 'Found with Jordan\u2019s older associates',
    },
  };
}

/** A controllable clock. */
export function clock(start = Date.parse('2026-03-01T02:00:00Z')) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

export async function openOutbox(now?: () => number): Promise<Outbox> {
  return Outbox.open('lantern-test', now ? { now } : {});
}

export interface SeenRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A fake API: each call is recorded and answered by `answer`. */
export function fakeApi(answer: (req: SeenRequest, n: number) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const req: SeenRequest = {
      url,
      method: init.method ?? 'GET',
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? JSON.parse(init.body) : init.body,
    };
    seen.push(req);
    return answer(req, seen.length);
  };
  return { fetch, seen };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const type = status >= 400 ? 'application/problem+json' : 'application/json';
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': type, ...headers },
  });
}

/** Reads every value of every store with the raw IndexedDB API, as a page could. */
export async function rawDump(name = 'lantern-test'): Promise<{ stores: string[]; indexes: string[]; keys: unknown[]; text: string }> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(name);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const stores = Array.from(db.objectStoreNames);
  const indexes: string[] = [];
  const keys: unknown[] = [];
  let text = '';
  for (const storeName of stores) {
    const tx = db.transaction(storeName);
    const store = tx.objectStore(storeName);
    indexes.push(...Array.from(store.indexNames));
    const [values, storeKeys] = await Promise.all([
      new Promise<unknown[]>((resolve) => {
        const r = store.getAll();
        r.onsuccess = () => resolve(r.result);
      }),
      new Promise<IDBValidKey[]>((resolve) => {
        const r = store.getAllKeys();
        r.onsuccess = () => resolve(r.result);
      }),
    ]);
    keys.push(...storeKeys);
    text += JSON.stringify(storeKeys) + flatten(values);
  }
  db.close();
  return { stores, indexes, keys, text };
}

function flatten(value: unknown): string {
  if (value instanceof ArrayBuffer) return bytesAsText(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return bytesAsText(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
  if (Array.isArray(value)) return value.map(flatten).join('|');
  if (value && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${k}=${flatten(v)}`).join('|');
  }
  return String(value);
}

function bytesAsText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes) + Array.from(bytes, (b) => String.fromCharCode(b)).join('');
}

/** A POST /sync answer, typed by the generated schema so a fake cannot drift from the API. */
export function syncAnswer(results: components['schemas']['SyncResult'][]): Response {
  const body: components['schemas']['SyncOut'] = { results };
  return json(200, body);
}
