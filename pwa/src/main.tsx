import './styles.css';
import { render } from 'preact';
import { App, preloadScreen } from './app';
import { emitLive } from './live';
import { navigate } from './router';
import { boot } from './runtime';
import { applyTheme } from './settings';
import { afterLoad } from './ui/idle';

applyTheme();
preloadScreen(window.location.pathname);
// index.html paints "Starting Lantern…" before any script runs; the app replaces it (new nodes,
// so nothing shifts).
const root = document.getElementById('app')!;
root.replaceChildren();
render(<App />, root);
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
