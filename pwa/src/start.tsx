// The app: mounted once its chunk has arrived (main.tsx, the entry, started the session's read).
import { hydrate } from 'preact';
import { App, preloadScreen } from './app';
import { emitLive } from './live';
import { navigate } from './router';
import { boot } from './runtime';
import { startEarly } from './early';
import { afterLoad } from './ui/idle';

performance.mark?.('lantern:start');
// early.ts has run by now (main.tsx imports this chunk after it): who the device last knew
// decides the home screen at "/".
void startEarly().then(
  (early) => preloadScreen(window.location.pathname, early.known?.roles),
  () => preloadScreen(window.location.pathname),
);
// index.html paints "Starting Lantern…" before any script runs; the app's starting phase is the
// same markup and takes those nodes over (hydrate) rather than drawing new ones: the first paint,
// the screen's largest until the screen's own content comes, stays the one painted first (issue 16).
const root = document.getElementById('app')!;
hydrate(<App />, root);
void boot();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  // Registered once the page has loaded: the worker's install fetches the whole precache (every
  // screen's chunk), which would otherwise compete with the first screen's own code and answers
  // on a slow connection (issue 16). A page already controlled by it is unaffected.
  afterLoad(() => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined));
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<{ type?: string; path?: string }>) => {
    const { type, path } = event.data ?? {};
    // Only same-app paths: a notification tap opens /incidents/<id>.
    if (type === 'navigate' && typeof path === 'string' && path.startsWith('/') && !path.startsWith('//')) navigate(path);
    if (type === 'push') emitLive({ type: 'push', data: null });
  });
}
