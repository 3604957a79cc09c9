// The first thing the page runs (issue 16: "read the session before module evaluation"). This
// module and what it imports are the whole entry chunk, a few KiB: it opens this device's database,
// reads the sealed session and who the device last knew its holder to be, and sends the first
// screen's requests (firstRequests.ts) with that session's token, while the app's own code (Preact,
// the shell, the screens: start.tsx's chunk, preloaded by index.html) is still arriving and being
// evaluated. runtime.ts's boot then takes what was read here instead of reading it again. Nothing
// here draws, decides the phase or signs anyone out: boot does, as before.
import { prime } from './api/client';
import type { Me } from './api/types';
import { SessionStore, type Session } from './auth/session';
import { firstRequests } from './firstRequests';
import { openLanternDb, type LanternDB } from './outbox/db';
import { Vault } from './outbox/vault';

/** The vault's key for who the session's holder is (their `/me`). */
export const OWNER_KEY = 'me';

export interface Early {
  db: LanternDB;
  vault: Vault;
  session: SessionStore;
  /** The stored session, or null when there is none or it has expired. */
  current: Session | null;
  /** The holder's last known `/me`, when it is the session's holder; null otherwise. */
  known: Me | null;
  /** The first screen's requests have been sent (for `known`'s roles, at this address). */
  primed: boolean;
}

let started: Promise<Early> | null = null;

/** Start (once) reading the device's session; every caller gets the same answer. */
export function startEarly(): Promise<Early> {
  if (!started) {
    started = run();
    started.catch(() => undefined);
  }
  return started;
}

async function run(): Promise<Early> {
  performance.mark?.('lantern:early');
  const db = await openLanternDb();
  const vault = new Vault(db);
  const session = new SessionStore(vault);
  const current = await session.load();
  let known: Me | null = null;
  let primed = false;
  if (current) {
    const stored = await vault.get<Me>(OWNER_KEY);
    if (stored && stored.username === current.username) {
      known = stored;
      for (const path of firstRequests(window.location.pathname, window.location.search, stored.roles)) prime(path, current.access_token);
      primed = true;
      performance.mark?.('lantern:primed');
    }
  }
  return { db, vault, session, current, known, primed };
}
