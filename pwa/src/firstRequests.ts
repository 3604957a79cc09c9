// The API requests each role's first screen makes as soon as it mounts (issue 16): runtime.ts
// starts them at start-up, as soon as the session is known, beside the screen's chunk, and the
// screen's own `call` of the same path takes the answer (api/client.ts, `prime`). A path here
// must be exactly the one the screen asks for, or the answer is simply dropped after 10 s and the
// screen fetches as before (a wasted request, never a wrong screen). Kept to the screens a role
// opens first: the worker's home and inbox, the police's report form and list, the handover
// queue, the board and the admin home.
import type { Role } from './api/types';

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

/** The GET paths (under /api/v1) the screen at `path?search` fetches first, for these roles. */
export function firstRequests(path: string, search: string, roles: Role[]): string[] {
  const screen = path === '/' || path === '' ? homeFor(roles) : path.replace(/\/+$/, '');
  const query = new URLSearchParams(search);
  switch (screen) {
    case '/on-call': // WorkerHome: my shifts and the incident list (offline/lists.ts)
      return roles.some((r) => r === 'worker' || r === 'manager') ? ['/me/on-call', '/incidents'] : [];
    case '/incidents': // Inbox (offline/lists.ts)
      return roles.some((r) => r === 'worker' || r === 'day_team' || r === 'manager') ? ['/incidents'] : [];
    case '/reports': // MyReports
      return roles.includes('police') ? ['/incidents'] : [];
    case '/report': // ReportForm: the indicator catalogue (offline/catalogue.ts)
      return roles.includes('police') ? ['/indicators'] : [];
    case '/board': // Board
      return roles.includes('manager') ? ['/board'] : [];
    case '/admin': // AdminHome
      return roles.includes('admin') ? ['/areas', '/stations', '/teams', '/users'] : [];
    case '/handover': {
      // HandoverQueue (loadHandover): the same parameters in the same order.
      if (!roles.some((r) => r === 'day_team' || r === 'manager')) return [];
      const params = new URLSearchParams({ state: query.get('state') === 'picked_up' ? 'picked_up' : 'awaiting_pickup' });
      const team = query.get('team') ?? '';
      if (team) params.set('team', team);
      return [`/handover?${params.toString()}`];
    }
    default:
      return [];
  }
}
