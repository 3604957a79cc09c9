// Device preferences (not personal): theme and idle-lock time, in localStorage.
const THEME_KEY = 'lantern.theme';
const IDLE_KEY = 'lantern.idleMinutes';
export const DEFAULT_IDLE_MINUTES = 15;

export type Theme = 'dark' | 'light';

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
  return read(THEME_KEY) === 'light' ? 'light' : 'dark';
}

export function applyTheme(theme: Theme = getTheme()): void {
  document.documentElement.dataset.theme = theme;
  document.querySelector('meta[name="theme-color"]')?.setAttribute('content', theme === 'light' ? '#f6f7fb' : '#0f1420');
}

export function setTheme(theme: Theme): void {
  write(THEME_KEY, theme);
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
