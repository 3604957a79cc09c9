// Encrypted key-value values beside the outbox: the session token and incident details
// kept for offline use. Keys are generic ("session", "incident:<uuid>"), values sealed.
import { getKey, open, seal } from './crypto';
import type { LanternDB } from './db';

export class Vault {
  constructor(private readonly db: LanternDB) {}

  async put(name: string, value: unknown): Promise<void> {
    const key = await getKey(this.db);
    const sealed = await seal(key, name, value);
    await this.db.put('vault', { ...sealed, saved_at: Date.now() }, name);
  }

  async get<T>(name: string): Promise<T | undefined> {
    const sealed = await this.db.get('vault', name);
    if (!sealed) return undefined;
    try {
      return await open<T>(await getKey(this.db), name, sealed);
    } catch {
      // Sealed under a key that was wiped since: worthless, forget it.
      await this.db.delete('vault', name);
      return undefined;
    }
  }

  async delete(name: string): Promise<void> {
    await this.db.delete('vault', name);
  }

  /** Forget sealed values under `prefix` saved more than `maxAge` ms ago. */
  async prune(prefix: string, maxAge: number): Promise<void> {
    const cutoff = Date.now() - maxAge;
    const tx = this.db.transaction('vault', 'readwrite');
    for await (const cursor of tx.store.iterate(IDBKeyRange.bound(prefix, `${prefix}\uffff`))) {
      if (cursor.value.saved_at < cutoff) await cursor.delete();
    }
    await tx.done;
  }

  /** Non-personal reference data (catalogues) in clear, for forms that must work offline. */
  async putCatalogue(name: string, value: unknown): Promise<void> {
    await this.db.put('catalogue', { saved_at: Date.now(), value }, name);
  }

  async getCatalogue<T>(name: string): Promise<T | undefined> {
    return (await this.db.get('catalogue', name))?.value as T | undefined;
  }
}
