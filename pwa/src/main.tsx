// The entry chunk, kept small (issue 16): the page's style, the theme, and early.ts, which reads
// the session and sends the first screen's requests at once. The app itself (start.tsx: Preact,
// the shell, the screens) is a chunk of its own that index.html preloads alongside this one
// (vite.config.ts), so it downloads in parallel, and is evaluated while those requests travel.
import './styles.css';
import { startEarly } from './early';
import { applyTheme } from './settings';

performance.mark?.('lantern:main');
applyTheme();
// The app's chunk is evaluated once the requests are sent (or there is no session to send them
// with): evaluated at once, its long task held up the database's answers behind it. It downloads
// meanwhile all the same (a modulepreload of index.html).
const startApp = () => void import('./start');
startEarly().then(startApp, startApp);
