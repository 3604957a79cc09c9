// Where the main thread's time goes while one screen loads (issue 16): signs in as audit.mjs
// does, clears the HTTP cache and the service worker, then loads the screen with a 4x CPU
// slowdown under the V8 CPU profiler and prints the functions with the most self time, the
// page's own performance marks and its LCP candidates.
//
//   node profile.mjs <base-url> <screens.json> [top=25]
import { readFileSync } from 'node:fs';
import { withColdPhone } from './signed-in.mjs';

const [base, screensFile, topArg] = process.argv.slice(2);
const screens = JSON.parse(readFileSync(screensFile, 'utf8'));
const origin = new URL(base).origin;
const TOP = Number(topArg ?? 25);

for (const screen of screens) {
  await withColdPhone(base, origin, screen, async (page, cdp) => {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await page.evaluateOnNewDocument(() => {
      window.__lcp = [];
      window.__long = [];
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__lcp.push([Math.round(e.startTime), e.element ? e.element.tagName + '.' + e.element.className + ' ' + (e.element.textContent || '').slice(0, 40) : '?']); }).observe({ type: 'largest-contentful-paint', buffered: true });
      new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push([Math.round(e.startTime), Math.round(e.duration)]); }).observe({ type: 'longtask', buffered: true });
    });
    await cdp.send('Profiler.start');
    await page.goto(base.replace(/\/$/, '') + screen.path, { waitUntil: 'load' });
    await new Promise((r) => setTimeout(r, 3000));
    const { profile } = await cdp.send('Profiler.stop');
    const info = await page.evaluate(() => ({
      marks: performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]),
      fcp: performance.getEntriesByName('first-contentful-paint').map((e) => Math.round(e.startTime)),
      lcp: window.__lcp,
      long: window.__long,
      res: performance.getEntriesByType('resource').map((r) => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.responseEnd)]),
    }));
    // Self time per function.
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map();
    const dt = profile.timeDeltas;
    for (let i = 0; i < profile.samples.length; i++) {
      const n = byId.get(profile.samples[i]);
      const f = n.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i + 1] ?? 0) / 1000);
    }
    const rows = [...self.entries()].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(program)')).sort((a, b) => b[1] - a[1]).slice(0, TOP);
    console.log(`\n=== ${screen.name} ${screen.path}`);
    console.log(JSON.stringify(info));
    for (const [k, v] of rows) console.log(`${v.toFixed(1).padStart(8)} ms  ${k}`);
  });
}
