// Lighthouse's mobile audit (its default config: a Moto G Power-sized screen, simulated Slow 4G
// and a 4x CPU slowdown) of one Lantern screen, signed in as a role, in Debian's Chromium.
// Driven by bench/lighthouse.py, which starts the server; prints one JSON line per screen.
//
//   node audit.mjs <base-url> <screens.json>
//
// screens.json: [{"name": ..., "path": "/board", "username": "manager.duty", "password": ...}]
// (no username: the sign-in page, audited signed out).
//
// Signing in: the PWA keeps its token sealed in IndexedDB (pwa/src/auth/session.ts), so the
// form is filled in a fresh profile first, as a person would. Lighthouse normally wipes the
// origin's storage before it loads the page, which would sign the role out; it is told not to
// (disableStorageReset), and this script clears what a first visit would not have instead: the
// HTTP cache, Cache Storage and the service worker. The screen is then measured cold, signed in.
import { readFileSync, writeFileSync } from 'node:fs';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const [base, screensFile] = process.argv.slice(2);
const screens = JSON.parse(readFileSync(screensFile, 'utf8'));
const chromium = process.env.LANTERN_CHROMIUM || '/usr/bin/chromium';
const origin = new URL(base).origin;

async function signIn(page, screen) {
  await page.goto(base, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#username');
  await page.type('#username', screen.username);
  await page.type('#password', screen.password);
  await Promise.all([
    page.click('[data-testid=signin-form] button[type=submit]'),
    page.waitForFunction(() => !document.querySelector('#username') && document.querySelector('.shell main h1'), {
      timeout: 60_000,
    }),
  ]);
  await page.waitForNetworkIdle({ idleTime: 500, timeout: 30_000 }).catch(() => {});
}

async function coldButSignedIn(page) {
  const cdp = await page.createCDPSession();
  await cdp.send('Network.clearBrowserCache');
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'cache_storage,service_workers' });
  await cdp.detach();
  await page.goto('about:blank');
}

async function audit(screen) {
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true, // --headless=new
    args: ['--no-sandbox', '--headless=new'],
  });
  try {
    const page = await browser.newPage();
    if (screen.username) {
      await signIn(page, screen);
      await coldButSignedIn(page);
    }
    const flags = {
      output: 'json',
      logLevel: 'error',
      onlyCategories: ['performance', 'accessibility', 'best-practices'],
      disableStorageReset: Boolean(screen.username),
      // A signed-in screen keeps its live stream (SSE) open, so the network never goes quiet:
      // stop waiting 10 s after the load instead of Lighthouse's 45 s (the metrics are long in).
      maxWaitForLoad: 10_000,
    };
    const result = await lighthouse(base.replace(/\/$/, '') + screen.path, flags, undefined, page);
    const lhr = result.lhr;
    if (process.env.LANTERN_LIGHTHOUSE_SAVE) {
      const file = `${process.env.LANTERN_LIGHTHOUSE_SAVE}/${screen.name.replace(/\W+/g, '-')}.json`;
      writeFileSync(file, JSON.stringify(lhr));
    }
    if (lhr.runtimeError) throw new Error(`${screen.name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    const finalPath = new URL(lhr.finalDisplayedUrl).pathname;
    const failing = [];
    for (const category of Object.values(lhr.categories)) {
      for (const ref of category.auditRefs) {
        const item = lhr.audits[ref.id];
        if (ref.weight > 0 && item.score !== null && item.score < 1) {
          failing.push({ category: category.id, id: ref.id, score: item.score, value: item.displayValue || '' });
        }
      }
    }
    const metric = (id) => lhr.audits[id]?.numericValue ?? null;
    return {
      name: screen.name,
      path: screen.path,
      final_path: finalPath,
      performance: lhr.categories.performance.score === null ? null : Math.round(lhr.categories.performance.score * 100),
      accessibility: Math.round(lhr.categories.accessibility.score * 100),
      best_practices: Math.round(lhr.categories['best-practices'].score * 100),
      lcp_ms: metric('largest-contentful-paint'),
      fcp_ms: metric('first-contentful-paint'),
      tbt_ms: metric('total-blocking-time'),
      cls: metric('cumulative-layout-shift'),
      lcp_element: lhr.audits['largest-contentful-paint-element']?.details?.items?.[0]?.items?.[0]?.node?.snippet ?? null,
      failing,
    };
  } finally {
    await browser.close();
  }
}

// On a crowded machine a run now and then fails outright (Chromium's "interstitial" when the page
// did not answer in time, or no LCP recorded): such a run is made again, up to twice, and the
// row says how many attempts it took; a screen that fails three times stops the bench.
const ATTEMPTS = 3;
for (const screen of screens) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const row = await audit(screen);
      if (row.lcp_ms === null || row.performance === null) throw new Error(`${screen.name}: no LCP or score in the report`);
      process.stdout.write(JSON.stringify({ ...row, attempts: attempt }) + '\n');
      break;
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      process.stderr.write(`audit: ${error.message} (attempt ${attempt} of ${ATTEMPTS}; trying again)\n`);
    }
  }
}
