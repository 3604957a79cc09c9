// The shell: sign-in or lock screen, or the header, navigation and the screen for the route.
import { useEffect, useRef } from 'preact/hooks';
import type { Role } from './api/types';
import { location, match, onLinkClick } from './router';
import { app, useStore } from './state';
import { Header } from './ui/Header';
import { LockScreen } from './screens/LockScreen';
import { SignIn } from './screens/SignIn';
import { SignOut } from './screens/SignOut';
import { Lazy, preload, type Loader } from './ui/Lazy';
import { Places } from './screens/LazyPlaces';
import { Hubs } from './screens/LazyHubs';
import type { JSX } from 'preact';
import { prefetchCatalogues } from './offline/catalogue';
import { homeFor } from './firstRequests';
import { afterLoad } from './ui/idle';

export { homeFor };


// Screens loaded on first use, each its own chunk out of the app shell, every role's first screen
// included (issue 16: the shell's code is evaluated on every start, for every role; a screen's own
// code only for its role). The server's copy of index.html for a first screen's address names its
// chunk as a modulepreload (scripts/first-screens.mjs), and start.tsx asks for it at once (see
// preloadScreen), so it arrives beside the shell.
const loadWorkerHome = () => import('./screens/WorkerHome').then((m) => m.WorkerHome);
const loadInbox = () => import('./screens/Inbox').then((m) => m.Inbox);
const loadMyReports = () => import('./screens/MyReports').then((m) => m.MyReports);
const loadRota = () => import('./screens/Rota').then((m) => m.Rota);
const loadAdmin = () => import('./screens/AdminHome').then((m) => m.AdminHome);
const loadPartnershipReports = () => import('./screens/PartnershipReports').then((m) => m.PartnershipReports);
const loadSearch = () => import('./screens/search/SearchScreen').then((m) => m.SearchScreen);
const loadPartnerHome = () => import('./screens/partner/PartnerHome').then((m) => m.PartnerHome);
const loadIncident = () => import('./screens/IncidentDetail').then((m) => m.IncidentDetail);
const loadYoungPerson = () => import('./screens/YoungPersonScreen').then((m) => m.YoungPersonScreen);
const loadReportForm = () => import('./screens/ReportForm').then((m) => m.ReportForm);
const loadReportStatus = () => import('./screens/ReportStatus').then((m) => m.ReportStatus);
const loadHandover = () => import('./screens/HandoverQueue').then((m) => m.HandoverQueue);
const loadHandoverPrint = () => import('./screens/HandoverPrint').then((m) => m.HandoverPrint);
const loadBoard = () => import('./screens/Board').then((m) => m.Board);
const loadOutbox = () => import('./screens/OutboxScreen').then((m) => m.OutboxScreen);
const loadSettings = () => import('./screens/Settings').then((m) => m.Settings);

interface RouteDef {
  pattern: string;
  roles: Role[] | 'any';
  render: (params: Record<string, string>) => JSX.Element;
  /** The screen's chunk, when it is loaded on first use. */
  load?: Loader;
}

/** Who may search incidents (design.md: day teams, managers, coordinators; the API also lets
 * workers, who find incidents in their list). */
export const SEARCH_ROLES: Role[] = ['day_team', 'manager', 'coordinator'];

/** Who may see places, their profiles and a child's network (the API's case roles). */
const PLACE_ROLES: Role[] = ['worker', 'day_team', 'manager', 'coordinator'];

export const ROUTES: RouteDef[] = [
  { pattern: '/on-call', roles: ['worker', 'manager'], load: loadWorkerHome, render: () => <Lazy load={loadWorkerHome} /> },
  { pattern: '/incidents', roles: ['worker', 'day_team', 'manager'], load: loadInbox, render: () => <Lazy load={loadInbox} /> },
  // Admins too: an admin paged because nobody answered opens the incident (the API allows only those).
  { pattern: '/incidents/:id', roles: ['worker', 'day_team', 'manager', 'admin'], load: loadIncident, render: (p) => <Lazy load={loadIncident} props={{ id: p.id! }} /> },
  { pattern: '/young-people/:id', roles: ['worker', 'day_team', 'manager'], load: loadYoungPerson, render: (p) => <Lazy load={loadYoungPerson} props={{ id: p.id! }} /> },
  { pattern: '/places', roles: PLACE_ROLES, render: () => <Places screen="list" /> },
  { pattern: '/places/:id', roles: PLACE_ROLES, render: (p) => <Places screen="profile" id={p.id!} /> },
  { pattern: '/young-people/:id/network', roles: PLACE_ROLES, render: (p) => <Places screen="network" id={p.id!} /> },
  // Hub meetings: the coordinators and managers of a CSE or CCE hub (the API checks the team).
  { pattern: '/hubs', roles: ['coordinator', 'manager'], render: () => <Hubs /> },
  { pattern: '/hubs/:hub/:week', roles: ['coordinator', 'manager'], render: (p) => <Hubs hub={p.hub!} week={p.week!} /> },
  { pattern: '/report', roles: ['police'], load: loadReportForm, render: () => <Lazy load={loadReportForm} /> },
  { pattern: '/reports', roles: ['police'], load: loadMyReports, render: () => <Lazy load={loadMyReports} /> },
  { pattern: '/reports/:id', roles: ['police'], load: loadReportStatus, render: (p) => <Lazy load={loadReportStatus} props={{ id: p.id! }} /> },
  { pattern: '/handover', roles: ['day_team', 'manager'], load: loadHandover, render: () => <Lazy load={loadHandover} /> },
  { pattern: '/handover/print', roles: ['day_team', 'manager'], load: loadHandoverPrint, render: () => <Lazy load={loadHandoverPrint} /> },
  { pattern: '/board', roles: ['manager'], load: loadBoard, render: () => <Lazy load={loadBoard} /> },
  { pattern: '/rota', roles: ['manager'], load: loadRota, render: () => <Lazy load={loadRota} /> },
  { pattern: '/outbox', roles: 'any', load: loadOutbox, render: () => <Lazy load={loadOutbox} /> },
  { pattern: '/settings', roles: 'any', load: loadSettings, render: () => <Lazy load={loadSettings} /> },
  { pattern: '/sign-out', roles: 'any', render: () => <SignOut /> },
  { pattern: '/admin', roles: ['admin'], load: loadAdmin, render: () => <Lazy load={loadAdmin} /> },
  { pattern: '/partnership-reports', roles: ['manager'], load: loadPartnershipReports, render: () => <Lazy load={loadPartnershipReports} /> },
  { pattern: '/search', roles: SEARCH_ROLES, load: loadSearch, render: () => <Lazy load={loadSearch} /> },
  { pattern: '/concerns', roles: ['partner'], load: loadPartnerHome, render: () => <Lazy load={loadPartnerHome} /> },
];

/** At start-up, before the session is open: fetch the chunk of the screen the address names
 *  alongside, rather than after (a lazy first screen would otherwise wait one more round trip). */
export function preloadScreen(path: string, roles?: Role[]): void {
  // The installed app opens at "/": the home screen of the role this device last knew.
  const target = (path === '/' || path === '') && roles ? homeFor(roles) : path;
  const route = ROUTES.find((r) => match(r.pattern, target));
  if (route?.load) preload(route.load).catch(() => undefined);
}

export function allowed(roles: Role[], route: RouteDef): boolean {
  return route.roles === 'any' || route.roles.some((r) => roles.includes(r));
}

export function App() {
  const phase = useStore(app, (s) => s.phase);
  const me = useStore(app, (s) => s.me);
  const loc = useStore(location, (l) => l);
  const mainRef = useRef<HTMLElement>(null);

  // Once per signed-in role set: a refreshed `me` (the server confirming who this is) is not a
  // reason to fetch the catalogues again.
  const roleKey = phase === 'signed_in' && me ? me.roles.join(',') : '';
  // After the first screen's own work (issue 16): the catalogues are for offline forms later.
  useEffect(() => {
    if (roleKey) afterLoad(() => prefetchCatalogues(roleKey.split(',')));
  }, [roleKey]);

  // Move focus to the new screen's heading after navigation, for screen readers and keyboards.
  useEffect(() => {
    const h1 = mainRef.current?.querySelector('h1');
    if (h1 && document.activeElement !== h1) {
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: true });
    }
  }, [loc.path]);

  if (phase === 'starting') {
    return (
      // The same markup as the static first paint in index.html.
      <main id="main" class="center boot">
        <h1 class="boot-title">Lantern</h1>
        <p class="boot-lead">The out-of-hours response to young people at risk of exploitation.</p>
        <p class="loading">
          <span class="spinner" aria-hidden="true" /> Starting Lantern…
        </p>
      </main>
    );
  }
  if (phase === 'signed_out' || !me) return <SignIn />;
  if (phase === 'locked') return <LockScreen />;

  let content: JSX.Element | null = null;
  if (loc.path === '/' || loc.path === '') {
    const target = homeFor(me.roles);
    content = ROUTES.find((r) => r.pattern === target)!.render({});
  } else {
    for (const route of ROUTES) {
      const params = match(route.pattern, loc.path);
      if (!params) continue;
      content = allowed(me.roles, route) ? route.render(params) : <NotAllowed />;
      break;
    }
  }

  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header />
      <Announcer />
      <main id="main" ref={mainRef}>
        {content ?? <NotFound />}
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is nothing at this address. <a href="/">Go to your home screen</a>.
      </p>
    </>
  );
}

function NotAllowed() {
  return (
    <>
      <h1>Not available</h1>
      <p>
        Your role does not include this screen. <a href="/">Go to your home screen</a>.
      </p>
    </>
  );
}

/** Polite announcements ("Saved on this device", "2 records sent"), visible and read out. */
function Announcer() {
  const text = useStore(app, (s) => s.announcement);
  return (
    <p class={`announce${text ? ' shown' : ''}`} aria-live="polite" data-testid="announcement">
      {text}
    </p>
  );
}
