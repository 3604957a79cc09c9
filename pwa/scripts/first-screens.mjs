// The shell's copies that name their first screen's chunk (issue 16, Lighthouse LCP): for every
// route of src/app.tsx whose screen is a chunk loaded on first use (`load: loadX`, with
// `const loadX = () => import('./screens/X')`), writes dist/first-screen/<n>.html, the built
// index.html with `<link rel="modulepreload">` for that chunk and the chunks it imports, and
// dist/first-screen/routes.json ([{ "pattern": "/board", "html": "first-screen/3.html" }]). The
// server sends the copy for an address that matches a pattern (api/main.py), so the browser
// fetches the screen's code alongside the shell's instead of after it has run. Reads Vite's
// build manifest (dist/.vite/manifest.json), then removes it (it is not served). Fails the build
// if a lazy route's chunk cannot be found. Run after `vite build`, before compress.mjs.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const DIST = process.argv[2] ?? 'dist';
const APP = process.argv[3] ?? 'src/app.tsx';
const MANIFEST = `${DIST}/.vite/manifest.json`;

if (!existsSync(MANIFEST)) {
  console.error(`first-screens: ${MANIFEST} is missing (vite.config.ts: build.manifest).`);
  process.exit(1);
}
const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8'));
const html = readFileSync(`${DIST}/index.html`, 'utf8');
const source = readFileSync(APP, 'utf8');

const loaders = new Map();
for (const m of source.matchAll(/const (load\w+) = \(\) => import\('\.\/([^']+)'\)/g)) loaders.set(m[1], m[2]);
const routes = [...source.matchAll(/\{ pattern: '([^']+)',[^\n]*?\bload: (load\w+)/g)].map((m) => ({ pattern: m[1], loader: m[2] }));
if (!routes.length) {
  console.error(`first-screens: no lazy route found in ${APP}`);
  process.exit(1);
}

function entryFor(module) {
  for (const ext of ['.tsx', '.ts', '.jsx', '.js']) {
    const key = `src/${module}${ext}`;
    if (manifest[key]) return key;
  }
  // A screen another chunk also imports statically (the board's paging text, in the handover
  // queue) becomes a shared chunk, named after its module but keyed without its source path.
  const name = module.split('/').pop();
  const shared = Object.keys(manifest).filter((k) => k.startsWith('_') && manifest[k].name === name);
  return shared.length === 1 ? shared[0] : null;
}

// What the shell already loads or preloads: no second hint for those.
const inShell = new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]));

function chunksOf(key, seen = new Set()) {
  if (seen.has(key)) return [];
  seen.add(key);
  const entry = manifest[key];
  const own = [`/${entry.file}`];
  for (const dep of entry.imports ?? []) own.push(...chunksOf(dep, seen));
  return own;
}

rmSync(`${DIST}/first-screen`, { recursive: true, force: true });
mkdirSync(`${DIST}/first-screen`);
const table = [];
for (const [index, { pattern, loader }] of routes.entries()) {
  const module = loaders.get(loader);
  const key = module ? entryFor(module) : null;
  if (!key) {
    console.error(`first-screens: the chunk of ${pattern} (${loader}) is not in the build manifest`);
    process.exit(1);
  }
  const chunks = [...new Set(chunksOf(key))].filter((href) => !inShell.has(href));
  const links = chunks.map((href) => `<link rel="modulepreload" crossorigin href="${href}">`).join('\n    ');
  if (!html.includes('</head>')) {
    console.error('first-screens: index.html has no </head>');
    process.exit(1);
  }
  const name = `first-screen/${index}.html`;
  writeFileSync(`${DIST}/${name}`, html.replace('</head>', `  ${links}\n  </head>`));
  table.push({ pattern, html: name, chunks });
}
writeFileSync(`${DIST}/first-screen/routes.json`, JSON.stringify(table, null, 1));
rmSync(`${DIST}/.vite`, { recursive: true, force: true });
console.log(`first-screens: ${table.length} routes name their chunks (dist/first-screen/)`);
