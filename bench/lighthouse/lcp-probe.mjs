// Which element is each screen's largest contentful paint, and when (Lighthouse 12.2.3's own
// LCP-element audit fails on Debian's Chromium). Signs in as audit.mjs does, clears the HTTP
// cache and the service worker, then loads the screen with a 4x CPU slowdown and Slow 4G-like
// throttling (150 ms, 1.6 Mbit/s) and prints every LCP candidate the browser reported.
//
//   node lcp-probe.mjs <base-url> <screens.json>     (the plan bench/lighthouse.py writes)
import { readFileSync } from 'node:fs';
import { withColdPhone } from './signed-in.mjs';

const [base, screensFile] = process.argv.slice(2);
const screens = JSON.parse(readFileSync(screensFile, 'utf8'));
const origin = new URL(base).origin;

for (const screen of screens) {
  await withColdPhone(base, origin, screen, async (page, cdp) => {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
    await page.evaluateOnNewDocument(() => {
      window.__lcp = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          const el = e.element;
          window.__lcp.push({ t: Math.round(e.startTime), size: e.size, tag: el ? `${el.tagName.toLowerCase()}.${el.className || ''}` : '(removed)', text: el?.textContent?.slice(0, 60) ?? '' });
        }
      }).observe({ type: 'largest-contentful-paint', buffered: true });
    });
    await page.goto(base.replace(/\/$/, '') + screen.path, { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, 6000));
    const lcp = await page.evaluate(() => window.__lcp);
    const fcp = await page.evaluate(() => Math.round(performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1));
    const res = await page.evaluate(() => performance.getEntriesByType('resource').map((r) => `${Math.round(r.startTime)}-${Math.round(r.responseEnd)} ${r.name.replace(location.origin, '')}`));
    const marks = await page.evaluate(() => Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)])));
    console.log(JSON.stringify({ name: screen.name, fcp, lcp, marks }));
    if (process.env.LCP_PROBE_RESOURCES) console.log(res.join('\n'));
  });
}
