// The bundle budget: the initial JS and CSS of the app shell (what index.html loads, and the
// modules it preloads) must stay under 80 KB gzipped. Exits non-zero above it.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_BYTES = 80 * 1024;
const DIST = 'dist';

if (!existsSync(`${DIST}/index.html`)) {
  console.error('budget: dist/index.html is missing; run `npm run build` first.');
  process.exit(1);
}
const html = readFileSync(`${DIST}/index.html`, 'utf8');

// Inline scripts or handlers would break the strict CSP (script-src 'self').
if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(html) || /\son[a-z]+=/i.test(html) || /\sstyle=/i.test(html)) {
  console.error('budget: index.html has an inline script, handler or style attribute; the CSP forbids it.');
  process.exit(1);
}

const refs = new Set();
for (const m of html.matchAll(/<script[^>]+src="([^"]+)"/g)) refs.add(m[1]);
for (const m of html.matchAll(/<link[^>]+rel="(?:stylesheet|modulepreload)"[^>]*href="([^"]+)"/g)) refs.add(m[1]);
for (const m of html.matchAll(/<link[^>]+href="([^"]+)"[^>]*rel="(?:stylesheet|modulepreload)"/g)) refs.add(m[1]);

let total = 0;
const rows = [];
for (const ref of refs) {
  if (!/\.(m?js|css)$/.test(ref)) continue;
  const file = `${DIST}${ref.startsWith('/') ? ref : `/${ref}`}`;
  const bytes = readFileSync(file);
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  rows.push(`  ${ref}  ${(bytes.length / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped`);
}
// The stylesheet is written into index.html (vite.config.ts: inlineCss); it counts all the same.
for (const m of html.matchAll(/<style>([\s\S]*?)<\/style>/g)) {
  const bytes = Buffer.from(m[1]);
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  rows.push(`  <style> in index.html  ${(bytes.length / 1024).toFixed(1)} KiB raw, ${(gz / 1024).toFixed(1)} KiB gzipped`);
}
console.log('budget: initial app shell (JS + CSS)');
for (const r of rows) console.log(r);
const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
console.log(`budget: ${(total / 1024).toFixed(1)} KiB gzipped, ${verdict} the ${BUDGET_BYTES / 1024} KiB budget`);
if (total > BUDGET_BYTES) process.exit(1);
