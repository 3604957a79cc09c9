// Shared by profile.mjs and lcp-probe.mjs: sign a screen's role in as audit.mjs does, then clear
// the HTTP cache and the service worker so that the screen's next load is a cold one.
export async function signInCold(page, base, origin, screen) {
  if (!screen.username) return;
  await page.goto(base, { waitUntil: 'networkidle0' });
  await page.type('#username', screen.username);
  await page.type('#password', screen.password);
  await page.click('[data-testid=signin-form] button[type=submit]');
  await page.waitForFunction(() => !document.querySelector('#username') && document.querySelector('.shell main h1'), { timeout: 60_000 });
  await page.waitForNetworkIdle({ idleTime: 500, timeout: 30_000 }).catch(() => {});
  const cdp = await page.createCDPSession();
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'cache_storage,service_workers' });
  await cdp.detach();
  await page.goto('about:blank');
}
