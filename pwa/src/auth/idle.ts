// Idle lock: after N minutes without a touch, click or key press, lock the screen.
// Time spent with the app hidden counts too (checked when it comes back).
const ACTIVITY = ['pointerdown', 'keydown', 'touchstart', 'wheel'] as const;

export function startIdleLock(minutes: () => number, onIdle: () => void): () => void {
  let last = Date.now();
  const touch = () => {
    last = Date.now();
  };
  const check = () => {
    if (Date.now() - last >= minutes() * 60_000) onIdle();
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible') check();
  };
  for (const type of ACTIVITY) document.addEventListener(type, touch, { passive: true, capture: true });
  document.addEventListener('visibilitychange', onVisible);
  const timer = setInterval(check, 15_000);
  return () => {
    for (const type of ACTIVITY) document.removeEventListener(type, touch, { capture: true });
    document.removeEventListener('visibilitychange', onVisible);
    clearInterval(timer);
  };
}
