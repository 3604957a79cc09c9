// A screen loaded on first use, out of the app shell (the manager's and admin's screens): the
// sign-in and the night's screens stay small on a slow phone. The chunk is precached by the
// service worker like the shell, so it opens offline too.
import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ErrorText } from './bits';

export function Lazy({ load }: { load: () => Promise<ComponentType> }) {
  const [Screen, setScreen] = useState<ComponentType | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let live = true;
    load()
      .then((screen) => live && setScreen(() => screen))
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
    };
  }, [load]);
  useEffect(() => {
    // As the shell does after a navigation: focus the new screen's heading.
    const h1 = Screen ? document.getElementById('main')?.querySelector('h1') : null;
    if (h1 && document.activeElement !== h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
  }, [Screen]);
  if (failed) return <ErrorText>This screen could not be loaded. Check the connection and reload.</ErrorText>;
  if (!Screen) {
    return (
      <p class="loading">
        <span class="spinner" aria-hidden="true" /> Loading…
      </p>
    );
  }
  return <Screen />;
}
