// Device preferences (not personal): theme and idle-lock time, in localStorage.
const THEME_KEY = 'lantern.theme';
const IDLE_KEY = 'lantern.idleMinutes';
export const DEFAULT_IDLE_MINUTES = 15;

/** 'system' follows the phone's light or dark preference (the default); dark when it has none,
 * since the work is at night. */
export type Theme = 'system' | 'dark' | 'light';

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode: keep the default */
  }
}

export function getTheme(): Theme {
  const stored = read(THEME_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

function phonePrefersLight(): MediaQueryList | null {
  return typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: light)') : null;
}

/** The theme shown: the chosen one, or the phone's preference. */
export function shownTheme(theme: Theme = getTheme()): 'dark' | 'light' {
  if (theme !== 'system') return theme;
  return phonePrefersLight()?.matches ? 'light' : 'dark';
}

let following = false;

export function applyTheme(theme: Theme = getTheme()): void {
  const shown = shownTheme(theme);
  document.documentElement.dataset.theme = shown;
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', shown === 'light' ? '#f6f7fb' : '#0f1420');
  if (!following) {
    // The phone switching between light and dark (at dusk, say) is followed at once.
    following = true;
    phonePrefersLight()?.addEventListener('change', () => applyTheme());
  }
}

export function setTheme(theme: Theme): void {
  if (theme === 'system') {
    try {
      localStorage.removeItem(THEME_KEY);
    } catch {
      /* private mode */
    }
  } else {
    write(THEME_KEY, theme);
  }
  applyTheme(theme);
}

/** Minutes without a touch or key press before the screen locks (default 15). */
export function getIdleMinutes(): number {
  const fromBuild = Number(import.meta.env.VITE_IDLE_MINUTES);
  const stored = Number(read(IDLE_KEY));
  if (Number.isFinite(stored) && stored > 0) return stored;
  if (Number.isFinite(fromBuild) && fromBuild > 0) return fromBuild;
  return DEFAULT_IDLE_MINUTES;
}

export function setIdleMinutes(minutes: number): void {
  write(IDLE_KEY, String(minutes));
}
