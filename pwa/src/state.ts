// A tiny observable store and the app-wide state: who is signed in, connectivity, the
// outbox count, and the polite announcement read out by screen readers.
import { useEffect, useState } from 'preact/hooks';
import type { Me } from './api/types';
import type { StreamState } from './api/events';

export interface Store<T> {
  get(): T;
  set(next: Partial<T> | ((current: T) => T)): void;
  subscribe(listener: () => void): () => void;
}

export function createStore<T extends object>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => value,
    set(next) {
      value = typeof next === 'function' ? next(value) : { ...value, ...next };
      for (const l of listeners) l();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function useStore<T extends object, S>(store: Store<T>, select: (value: T) => S): S {
  const [selected, setSelected] = useState(() => select(store.get()));
  useEffect(() => {
    const update = () => setSelected(() => select(store.get()));
    update();
    return store.subscribe(update);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [store]);
  return selected;
}

export type Phase = 'starting' | 'signed_out' | 'signed_in' | 'locked';

export interface AppState {
  phase: Phase;
  me: Me | null;
  /** The signed-in person's own username, kept in memory for the lock screen. */
  username: string | null;
  online: boolean;
  unsent: number;
  needsAttention: number;
  live: StreamState;
  announcement: string;
  /** Why the sign-in screen is showing, e.g. the session ended. */
  signInReason: string | null;
}

export const app = createStore<AppState>({
  phase: 'starting',
  me: null,
  username: null,
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  unsent: 0,
  needsAttention: 0,
  live: 'closed',
  announcement: '',
  signInReason: null,
});

let announceSeq = 0;
/** Say something politely (aria-live); repeated messages are still read out. */
export function announce(message: string): void {
  announceSeq++;
  app.set({ announcement: announceSeq % 2 ? message : `${message}\u200b` });
}
