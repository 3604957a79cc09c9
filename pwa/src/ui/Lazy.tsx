// A screen loaded on first use, out of the app shell (every screen but the sign-in, lock and
// sign-out): the shell each role loads stays small on a slow phone. The chunk is precached by the service worker like the shell, so it
// opens offline too. A chunk loaded once renders at once the next time (no "Loading…" flash).
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from './bits';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Screen = ComponentType<any>;
export type Loader = () => Promise<Screen>;

const loaded = new Map<Loader, Screen>();
const pending = new Map<Loader, Promise<Screen>>();

/** Start fetching a screen's chunk (at start-up, for the screen the address names). */
export function preload(load: Loader): Promise<Screen> {
  let promise = pending.get(load);
  if (!promise) {
    promise = load().then((screen) => {
      loaded.set(load, screen);
      return screen;
    });
    promise.catch(() => pending.delete(load));
    pending.set(load, promise);
  }
  return promise;
}

export function Lazy({ load, props }: { load: Loader; props?: Record<string, unknown> }) {
  const [shown, setShown] = useState<Screen | null>(() => loaded.get(load) ?? null);
  const [failed, setFailed] = useState(false);
  // The route may change to another lazy screen while this component stays mounted.
  const Current = loaded.get(load) ?? null;
  useEffect(() => {
    if (loaded.has(load)) {
      setShown(() => loaded.get(load)!);
      return;
    }
    let live = true;
    preload(load)
      .then((screen) => live && setShown(() => screen))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [load]);
  useEffect(() => {
    // As the shell does after a navigation: focus the new screen's heading.
    const h1 = shown ? document.getElementById('main')?.querySelector('h1') : null;
    if (h1 && document.activeElement !== h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
  }, [shown]);
  if (failed) return <ErrorText>This screen could not be loaded. Check the connection and reload.</ErrorText>;
  if (!Current) {
    return (
      <p class="loading">
        <span class="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  }
  return <Current {...(props ?? {})} />;
}
