// Shared by profile.mjs and lcp-probe.mjs: a phone-sized headless Chromium for one screen, its
// role signed in as audit.mjs does, then the HTTP cache and the service worker cleared so that
// the screen's next load is a cold one, with the CPU slowed 4x as Lighthouse's mobile preset.
import puppeteer from 'puppeteer-core';

async function signInCold(page, base, origin, screen) {
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

// Runs `use(page, cdp)` on that phone, then closes its browser.
export async function withColdPhone(base, origin, screen, use) {
  const browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--headless=new'] });
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 412, height: 823, deviceScaleFactor: 1.75, isMobile: true });
    await signInCold(page, base, origin, screen);
    const cdp = await page.createCDPSession();
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    return await use(page, cdp);
  } finally {
    await browser.close();
  }
}
