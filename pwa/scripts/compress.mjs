// Pre-compresses the build: beside every text file of dist/ (JS, CSS, HTML, the manifest, SVG,
// JSON) a `.br` (Brotli, quality 11) and a `.gz` (gzip, level 9), each kept only when smaller.
// The server sends the one the browser accepts (api/main.py, api/platform/precompressed.py), so nothing is compressed per
// request. Node's own zlib: no dependency. `node scripts/compress.mjs [dir]` (default dist).
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const DIST = process.argv[2] ?? 'dist';
const TEXT = /\.(m?js|css|html|webmanifest|svg|json|txt)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

let raw = 0;
let brotli = 0;
let count = 0;
for (const path of [...files(DIST)]) {
  if (!TEXT.test(path)) continue;
  const bytes = readFileSync(path);
  const variants = {
    '.br': brotliCompressSync(bytes, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      },
    }),
    '.gz': gzipSync(bytes, { level: 9 }),
  };
  for (const [suffix, packed] of Object.entries(variants)) {
    if (packed.length < bytes.length) writeFileSync(path + suffix, packed);
    else if (existsSync(path + suffix)) unlinkSync(path + suffix); // a stale one from an earlier build
  }
  raw += bytes.length;
  brotli += Math.min(variants['.br'].length, bytes.length);
  count += 1;
}
console.log(
  `compress: ${count} files, ${(raw / 1024).toFixed(1)} KiB → ${(brotli / 1024).toFixed(1)} KiB with Brotli`,
);
