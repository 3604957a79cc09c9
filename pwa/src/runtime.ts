// The app's life: open local data, sign in and out, lock, keep the outbox sending and the
// live stream open while signed in.
import { ApiError, call, configureApi, dropPrimed, prime } from './api/client';
import { connectEvents } from './api/events';
import type { Me } from './api/types';
import { startIdleLock } from './auth/idle';
import { completeOidc } from './auth/oidc';
import { requestToken, SignInError } from './auth/session';
import { signOut, type SignOutResult } from './auth/signout';
import { startEarly, OWNER_KEY, type Early } from './early';
import { firstRequests } from './firstRequests';
import { emitLive } from './live';
import { openLocal, SYNC_TAG, type Local } from './outbox/local';
import type { OutboxDraft, OutboxItem } from './outbox/types';
import { getIdleMinutes } from './settings';
import { announce, app } from './state';
import { whenIdle } from './ui/idle';

let local: Local | null = null;
let stopLive: (() => void) | null = null;
let stopIdle: (() => void) | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;


export function getLocal(): Local {
  if (!local) throw new Error('Local data is not open yet');
  return local;
}

export async function boot(): Promise<void> {
  // Marks for bench/lighthouse/lcp-probe.mjs (the way to the first screen's requests, issue 16).
  performance.mark?.('lantern:boot');
  let first: Early;
  try {
    // The database, the session and who holds it, read by early.ts at the page's start.
    first = await startEarly();
    local = await openLocal(onUnauthorised, first);
    performance.mark?.('lantern:local-open');
  } catch {
    app.set({ phase: 'signed_out', signInReason: 'This browser does not let Lantern keep data on the device (private browsing?). Records cannot be saved offline.' });
    return;
  }
  configureApi({ getToken: () => getLocal().session.token(), onUnauthorised });
  local.outbox.subscribe(() => void refreshCounts());
  watchConnectivity();
  // The outbox's counts (the header's badge) and the session are read side by side.
  const [, session] = await Promise.all([refreshCounts(), local.session.load()]);
  performance.mark?.('lantern:session');
  void navigator.storage?.persist?.().catch(() => false);
  if (!session) {
    dropPrimed(); // (early.ts primes only with a live session: nothing to drop, unless it expired since)
    app.set({ phase: 'signed_out' });
    return;
  }
  // A reload with a live session: open the person's screen at once from who this device last
  // knew them to be, and confirm with the server alongside (a 401 there signs out as usual).
  // This takes a round trip off the way to the first screen (Lighthouse's LCP, issue 16).
  // early.ts read it and, with it, already sent the first screen's requests.
  const known = first.known;
  performance.mark?.('lantern:known');
  if (known && known.username === session.username) {
    open(known, session.username, first.primed ? null : session.access_token);
    void confirm(known.username);
    return;
  }
  await enter(session.username);
}

/** Who the server says is signed in now; the screen follows if anything changed. */
async function confirm(username: string): Promise<void> {
  try {
    const me = await call<Me>('/me');
    if (me.username !== username) {
      onUnauthorised();
      return;
    }
    // The same answer as the device's copy (the usual case): nothing to store or redraw while
    // the first screen is still drawing.
    if (JSON.stringify(me) === JSON.stringify(app.get().me)) return;
    await getLocal().vault.put(OWNER_KEY, me);
    if (app.get().phase === 'signed_in') app.set({ me });
  } catch {
    // Offline or a passing error: the known identity stands; a 401 has already signed out.
  }
}

async function enter(username: string): Promise<void> {
  const l = getLocal();
  let me: Me | undefined;
  try {
    me = await call<Me>('/me');
    await l.vault.put(OWNER_KEY, me);
  } catch (error) {
    if (error instanceof ApiError && error.offline) me = await l.vault.get<Me>(OWNER_KEY);
    else if (error instanceof ApiError && error.status === 401) return;
    else throw error;
  }
  if (!me) {
    app.set({ phase: 'signed_out', signInReason: 'Lantern cannot reach the server to check who you are. Try again with a signal.' });
    return;
  }
  open(me, username);
}

/** `token`: null when early.ts has already sent the first screen's requests. */
function open(me: Me, username: string, token?: string | null): void {
  // The screen's first answers are on their way before it mounts (firstRequests.ts; issue 16).
  if (token !== null) for (const path of firstRequests(window.location.pathname, window.location.search, me.roles)) prime(path, token);
  app.set({ phase: 'signed_in', me, username, signInReason: null });
  // A hubs' coordinator reads places, networks and searches, a partner their own concerns: the
  // live stream is not theirs (the API refuses them; "Connecting" would never end).
  if (me.roles.some((r) => r !== 'coordinator' && r !== 'partner')) startLive();
  else app.set({ live: 'closed' });
  stopIdle?.();
  stopIdle = startIdleLock(getIdleMinutes, () => void lock());
  // The outbox is sent once the first screen has drawn and the main thread is free (within 1 s):
  // its IndexedDB reads and decryption are not the first screen's work (issue 16).
  whenIdle(() => void syncNow({ force: true }), 1_000);
}

export class OtherUsersRecords extends Error {}

/** Sign in; refuses while another person's unsent records wait on this device. */
export async function signIn(username: string, password: string): Promise<void> {
  const l = getLocal();
  const previous = await l.vault.get<Me>(OWNER_KEY);
  const unsent = await l.outbox.unsentCount();
  if (previous && previous.username !== username && unsent > 0) {
    throw new OtherUsersRecords(
      `This device holds ${unsent} unsent record${unsent === 1 ? '' : 's'} of another user. They must sign in to send ${unsent === 1 ? 'it' : 'them'}, or sign out and discard ${unsent === 1 ? 'it' : 'them'}.`,
    );
  }
  const token = await requestToken(username, password);
  await l.session.save(token, username);
  await enter(username);
}

/** Back from the organisation's sign-in: Lantern exchanges the code; then as a password sign-in. */
export async function signInWithOrganisation(query: URLSearchParams): Promise<void> {
  const l = getLocal();
  const token = await completeOidc(query);
  let who: Me;
  try {
    const response = await fetch('/api/v1/me', {
      headers: { Authorization: `Bearer ${token.access_token}`, Accept: 'application/json' },
    });
    if (!response.ok) throw new Error(String(response.status));
    who = (await response.json()) as Me;
  } catch {
    throw new SignInError(0, 'Lantern could not sign you in. Try again.');
  }
  const previous = await l.vault.get<Me>(OWNER_KEY);
  const unsent = await l.outbox.unsentCount();
  if (previous && previous.username !== who.username && unsent > 0) {
    throw new OtherUsersRecords(
      `This device holds ${unsent} unsent record${unsent === 1 ? '' : 's'} of another user. They must sign in to send ${unsent === 1 ? 'it' : 'them'}, or sign out and discard ${unsent === 1 ? 'it' : 'them'}.`,
    );
  }
  await l.session.save(token, who.username);
  await enter(who.username);
}

/** The session ended (401): back to sign-in, keeping every unsent record. */
function onUnauthorised(): void {
  if (!local) return;
  dropPrimed();
  void local.session.clear();
  stopLive?.();
  stopLive = null;
  const { phase } = app.get();
  if (phase === 'signed_in' || phase === 'starting') {
    app.set({
      phase: 'signed_out',
      signInReason: 'Your session ended. Sign in again: anything not yet sent stays on this device.',
    });
  }
}

export async function lock(): Promise<void> {
  if (app.get().phase !== 'signed_in') return;
  stopIdle?.();
  stopIdle = null;
  stopLive?.();
  stopLive = null;
  dropPrimed();
  await getLocal().session.clear();
  app.set({ phase: 'locked' });
}

export async function signOutNow(options: { discardUnsent?: boolean } = {}): Promise<SignOutResult> {
  const result = await signOut(getLocal().outbox, options);
  if (result.done) {
    stopIdle?.();
    stopIdle = null;
    stopLive?.();
    stopLive = null;
    getLocal().session.reset();
    app.set({ phase: 'signed_out', me: null, username: null, signInReason: 'Signed out. Nothing from your session is left on this device.' });
  }
  return result;
}

function startLive(): void {
  stopLive?.();
  const stream = connectEvents({
    getToken: () => getLocal().session.token(),
    onEvent: emitLive,
    onOpen: (again) => {
      if (again) emitLive({ type: 'reconnected', data: null });
    },
    onState: (live) => app.set({ live }),
    onUnauthorised,
  });
  stopLive = () => stream.close();
}

/** Save a record in the outbox first, then try to send it. */
export async function saveToOutbox(draft: OutboxDraft): Promise<OutboxItem> {
  const offline = !navigator.onLine;
  const item = await getLocal().outbox.add(draft, { savedOffline: offline });
  announce(offline ? 'Saved on this device. It will be sent when you are back online.' : 'Saved on this device. Sending…');
  void registerBackgroundSync();
  void syncNow({ force: true });
  return item;
}

/** Send what is due; `force` also sends what waits for its backoff (online again, app opened, a tap). */
export async function syncNow(options: { force?: boolean } = {}): Promise<void> {
  if (!local || app.get().phase !== 'signed_in') return;
  const report = await local.sync.run(options);
  if (report.sent) announce(`${report.sent} record${report.sent === 1 ? '' : 's'} sent.`);
  if (report.needs_attention) announce(`${report.needs_attention} record${report.needs_attention === 1 ? ' needs' : 's need'} your attention.`);
  await local.outbox.pruneSent(24 * 3_600_000);
  scheduleRetry();
}

async function scheduleRetry(): Promise<void> {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  const at = await getLocal().outbox.nextAttemptAt();
  if (at === null) return;
  retryTimer = setTimeout(() => void syncNow(), Math.max(1_000, at - Date.now()));
}

async function registerBackgroundSync(): Promise<void> {
  try {
    const registration = (await navigator.serviceWorker?.ready) as
      | (ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } })
      | undefined;
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    /* Background Sync is a bonus: open, online and visibility triggers still send. */
  }
}

async function refreshCounts(): Promise<void> {
  if (!local) return;
  const counts = await local.outbox.countByState();
  app.set({ unsent: counts.saved + counts.sending + counts.needs_attention, needsAttention: counts.needs_attention });
}

function watchConnectivity(): void {
  window.addEventListener('online', () => {
    app.set({ online: true });
    void syncNow({ force: true });
  });
  window.addEventListener('offline', () => app.set({ online: false }));
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void syncNow();
  });
}
