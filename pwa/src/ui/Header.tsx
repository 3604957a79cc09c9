import { useEffect, useRef } from 'preact/hooks';
import type { Role } from '../api/types';
import { location } from '../router';
import { app, useStore } from '../state';

interface NavItem {
  href: string;
  label: string;
  roles: Role[];
}

const NAV: NavItem[] = [
  { href: '/on-call', label: 'On call', roles: ['worker'] },
  { href: '/incidents', label: 'Incidents', roles: ['worker', 'day_team', 'manager'] },
  { href: '/report', label: 'Report', roles: ['police'] },
  { href: '/reports', label: 'My station', roles: ['police'] },
  { href: '/handover', label: 'Handover', roles: ['day_team', 'manager'] },
  { href: '/board', label: 'Board', roles: ['manager'] },
  { href: '/places', label: 'Places', roles: ['worker', 'day_team', 'manager', 'coordinator'] },
  { href: '/hubs', label: 'Hubs', roles: ['coordinator', 'manager'] },
  { href: '/partnership-reports', label: 'Reports', roles: ['manager'] },
  { href: '/admin', label: 'Admin', roles: ['admin'] },
  { href: '/search', label: 'Search', roles: ['day_team', 'manager', 'coordinator'] },
  { href: '/concerns', label: 'Concerns', roles: ['partner'] },
  { href: '/settings', label: 'Settings', roles: ['police', 'worker', 'day_team', 'manager', 'coordinator', 'partner', 'admin'] },
];

export function Header() {
  const me = useStore(app, (s) => s.me);
  const path = useStore(location, (l) => l.path);
  const roles = me?.roles ?? [];
  const items = NAV.filter((n) => n.roles.some((r) => roles.includes(r)));
  const header = useRef<HTMLElement>(null);
  useHeaderHeight(header);
  // On a phone too narrow for every link, the current screen's link is scrolled into view.
  useEffect(() => {
    header.current?.querySelector('nav a[aria-current=page]')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [path]);
  return (
    <header class="top" ref={header}>
      <div class="bar">
        <a href="/" class="brand" aria-label="Lantern home">
          <span class="mark" aria-hidden="true" />
          Lantern
        </a>
        <Connection />
        <OutboxCounter />
      </div>
      <nav aria-label="Main">
        <ul>
          {items.map((n) => (
            <li key={n.href}>
              <a href={n.href} aria-current={path === n.href || path.startsWith(`${n.href}/`) ? 'page' : undefined}>
                {n.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/sign-out" data-testid="sign-out" class="signout">
              Sign out
            </a>
          </li>
        </ul>
      </nav>
    </header>
  );
}

function Connection() {
  const online = useStore(app, (s) => s.online);
  const live = useStore(app, (s) => s.live);
  const text = !online ? 'Offline' : live === 'open' ? 'Live' : live === 'closed' ? 'Online' : 'Connecting';
  return (
    <span class={`conn conn-${online ? live : 'offline'}`} data-testid="connection">
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

/** The count of unsent records, always on screen. */
export function OutboxCounter() {
  const unsent = useStore(app, (s) => s.unsent);
  const attention = useStore(app, (s) => s.needsAttention);
  return (
    <div role="status" class={`outbox-count${unsent ? ' has-unsent' : ''}${attention ? ' has-attention' : ''}`} data-testid="outbox-count">
      <a href="/outbox">
        <span data-testid="outbox-unsent">{unsent} unsent</span>
        {attention ? <span class="attn">{`\u00a0· ${attention} need${attention === 1 ? 's' : ''} attention`}</span> : null}
      </a>
    </div>
  );
}

/** Publishes the sticky header's height as --header-height, which `scroll-padding-top` uses so
 * that a focused field is never scrolled under the header (it changes with the width and the
 * outbox counter). Set through the CSSOM, which the CSP's style-src allows. */
function useHeaderHeight(header: { current: HTMLElement | null }): void {
  useEffect(() => {
    const element = header.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const publish = () =>
      document.documentElement.style.setProperty('--header-height', `${Math.ceil(element.getBoundingClientRect().height)}px`);
    publish();
    const observer = new ResizeObserver(publish);
    observer.observe(element);
    return () => {
      observer.disconnect();
      document.documentElement.style.removeProperty('--header-height');
    };
  }, [header]);
}
