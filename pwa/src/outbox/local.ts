// Opens this device's local data (the outbox, the sealed vault, the session) and the sync
// engine over it. Used by the page and by the service worker alike.
import { SessionStore } from '../auth/session';
import { DEFAULT_DB_NAME } from './db';
import { Outbox } from './store';
import { createSyncEngine } from './sync';
import { Vault } from './vault';

export const OUTBOX_CHANNEL = 'lantern-outbox';
export const SYNC_TAG = 'lantern-outbox';

export interface Local {
  outbox: Outbox;
  vault: Vault;
  session: SessionStore;
  sync: ReturnType<typeof createSyncEngine>;
}

export async function openLocal(onUnauthorised: () => void): Promise<Local> {
  const outbox = await Outbox.open(DEFAULT_DB_NAME, { channel: OUTBOX_CHANNEL });
  const vault = new Vault(outbox.db);
  const session = new SessionStore(vault);
  const locks = typeof navigator !== 'undefined' && 'locks' in navigator ? navigator.locks : null;
  const sync = createSyncEngine({
    outbox,
    fetch: (url, init) => fetch(url, { ...init, cache: 'no-store', credentials: 'omit' }),
    getToken: () => session.token(),
    locks,
    onUnauthorised: () => {
      void session.clear().then(onUnauthorised);
    },
  });
  return { outbox, vault, session, sync };
}
