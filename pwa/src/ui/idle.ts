// Work the first screen does not need, run once the page is loaded and the main thread is free
// (issue 16: the service worker's install, the offline catalogues). Bounded: it runs within
// `timeout` ms of the load even if the page never goes idle, so nothing waits forever.

type IdleWindow = Window & {
  requestIdleCallback?: (callback: () => void, options?: { timeout: number }) => number;
};

/** Run `task` when the main thread is next idle (at most `timeout` ms from now). */
export function whenIdle(task: () => void, timeout = 2_000): void {
  const w = window as IdleWindow;
  if (typeof w.requestIdleCallback === 'function') w.requestIdleCallback(task, { timeout });
  else setTimeout(task, Math.min(timeout, 200));
}

/** Run `task` once the page's load event has fired and the main thread is idle. */
export function afterLoad(task: () => void, timeout = 2_000): void {
  if (document.readyState === 'complete') whenIdle(task, timeout);
  else window.addEventListener('load', () => whenIdle(task, timeout), { once: true });
}
