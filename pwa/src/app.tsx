// The shell: sign-in or lock screen, or the header, navigation and the screen for the route.
import { useEffect, useRef } from 'preact/hooks';
import type { Role } from './api/types';
import { location, match, onLinkClick } from './router';
import { app, useStore } from './state';
import { Header } from './ui/Header';
import { LockScreen } from './screens/LockScreen';
import { SignIn } from './screens/SignIn';
import { WorkerHome } from './screens/WorkerHome';
import { Inbox } from './screens/Inbox';
import { IncidentDetail } from './screens/IncidentDetail';
import { ReportForm } from './screens/ReportForm';
import { MyReports } from './screens/MyReports';
import { ReportStatus } from './screens/ReportStatus';
import { HandoverQueue } from './screens/HandoverQueue';
import { HandoverPrint } from './screens/HandoverPrint';
import { Board } from './screens/Board';
import { OutboxScreen } from './screens/OutboxScreen';
import { Settings } from './screens/Settings';
import { SignOut } from './screens/SignOut';
import { Lazy } from './ui/Lazy';
import { YoungPersonScreen } from './screens/YoungPersonScreen';
import { Places } from './screens/LazyPlaces';
import { Hubs } from './screens/LazyHubs';
import type { JSX } from 'preact';
import { prefetchCatalogues } from './offline/catalogue';


// Screens few people open, loaded on first use (out of the app shell).
const loadRota = () => import('./screens/Rota').then((m) => m.Rota);
const loadAdmin = () => import('./screens/AdminHome').then((m) => m.AdminHome);
const loadPartnershipReports = () => import('./screens/PartnershipReports').then((m) => m.PartnershipReports);
const loadSearch = () => import('./screens/search/SearchScreen').then((m) => m.SearchScreen);
const loadPartnerHome = () => import('./screens/partner/PartnerHome').then((m) => m.PartnerHome);

interface RouteDef {
  pattern: string;
  roles: Role[] | 'any';
  render: (params: Record<string, string>) => JSX.Element;
}

/** Who may search incidents (design.md: day teams, managers, coordinators; the API also lets
 * workers, who find incidents in their list). */
export const SEARCH_ROLES: Role[] = ['day_team', 'manager', 'coordinator'];

/** Who may see places, their profiles and a child's network (the API's case roles). */
const PLACE_ROLES: Role[] = ['worker', 'day_team', 'manager', 'coordinator'];

export const ROUTES: RouteDef[] = [
  { pattern: '/on-call', roles: ['worker', 'manager'], render: () => <WorkerHome /> },
  { pattern: '/incidents', roles: ['worker', 'day_team', 'manager'], render: () => <Inbox /> },
  // Admins too: an admin paged because nobody answered opens the incident (the API allows only those).
  { pattern: '/incidents/:id', roles: ['worker', 'day_team', 'manager', 'admin'], render: (p) => <IncidentDetail id={p.id!} /> },
  { pattern: '/young-people/:id', roles: ['worker', 'day_team', 'manager'], render: (p) => <YoungPersonScreen id={p.id!} /> },
  { pattern: '/places', roles: PLACE_ROLES, render: () => <Places screen="list" /> },
  { pattern: '/places/:id', roles: PLACE_ROLES, render: (p) => <Places screen="profile" id={p.id!} /> },
  { pattern: '/young-people/:id/network', roles: PLACE_ROLES, render: (p) => <Places screen="network" id={p.id!} /> },
  // Hub meetings: the coordinators and managers of a CSE or CCE hub (the API checks the team).
  { pattern: '/hubs', roles: ['coordinator', 'manager'], render: () => <Hubs /> },
  { pattern: '/hubs/:hub/:week', roles: ['coordinator', 'manager'], render: (p) => <Hubs hub={p.hub!} week={p.week!} /> },
  { pattern: '/report', roles: ['police'], render: () => <ReportForm /> },
  { pattern: '/reports', roles: ['police'], render: () => <MyReports /> },
  { pattern: '/reports/:id', roles: ['police'], render: (p) => <ReportStatus id={p.id!} /> },
  { pattern: '/handover', roles: ['day_team', 'manager'], render: () => <HandoverQueue /> },
  { pattern: '/handover/print', roles: ['day_team', 'manager'], render: () => <HandoverPrint /> },
  { pattern: '/board', roles: ['manager'], render: () => <Board /> },
  { pattern: '/rota', roles: ['manager'], render: () => <Lazy load={loadRota} /> },
  { pattern: '/partnership-reports', roles: ['manager'], render: () => <Lazy load={loadPartnershipReports} /> },
  { pattern: '/outbox', roles: 'any', render: () => <OutboxScreen /> },
  { pattern: '/settings', roles: 'any', render: () => <Settings /> },
  { pattern: '/sign-out', roles: 'any', render: () => <SignOut /> },
  { pattern: '/admin', roles: ['admin'], render: () => <Lazy load={loadAdmin} /> },
  { pattern: '/search', roles: SEARCH_ROLES, render: () => <Lazy load={loadSearch} /> },
  { pattern: '/concerns', roles: ['partner'], render: () => <Lazy load={loadPartnerHome} /> },
];

/** Where "/" leads for a role: the screen of that role's night. */
export function homeFor(roles: Role[]): string {
  if (roles.includes('worker')) return '/on-call';
  if (roles.includes('police')) return '/reports';
  if (roles.includes('manager')) return '/board';
  if (roles.includes('day_team')) return '/handover';
  if (roles.includes('coordinator')) return '/places';
  if (roles.includes('admin')) return '/admin';
  if (roles.includes('partner')) return '/concerns';
  return '/settings';
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
  useEffect(() => {
    if (roleKey) prefetchCatalogues(roleKey.split(','));
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
      <main id="main" class="center">
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
