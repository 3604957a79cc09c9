// Opens this device's local data (the outbox, the sealed vault, the session) and the sync
// engine over it. Used by the page and by the service worker alike.
import { SessionStore } from '../auth/session';
import { DEFAULT_DB_NAME, type LanternDB } from './db';
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

/** `opened`: the database, vault and session the page's start-up (early.ts) has already opened. */
export async function openLocal(
  onUnauthorised: () => void,
  opened?: { db: LanternDB; vault: Vault; session: SessionStore },
): Promise<Local> {
  const outbox = opened ? new Outbox(opened.db, { channel: OUTBOX_CHANNEL }) : await Outbox.open(DEFAULT_DB_NAME, { channel: OUTBOX_CHANNEL });
  const vault = opened?.vault ?? new Vault(outbox.db);
  const session = opened?.session ?? new SessionStore(vault);
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
