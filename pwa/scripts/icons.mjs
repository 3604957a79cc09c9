// Draws Lantern's icons (a warm flame on the night-blue background) as PNGs, with no
// dependencies and no downloads: public/icons/icon-192.png, icon-512.png, icon-maskable-512.png.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const OUT = new URL('../public/icons/', import.meta.url);
const BG = [15, 20, 32];
const GLOW = [245, 165, 36];
const OUTER = [245, 165, 36];
const INNER = [255, 226, 150];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, pixel) {
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const [r, g, b, a] = pixel(x, y);
      const o = y * (size * 4 + 1) + 1 + x * 4;
      raw[o] = r;
      raw[o + 1] = g;
      raw[o + 2] = b;
      raw[o + 3] = a;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A teardrop flame: a circle with a point on top. (x, y) in units where the flame is ~1 tall. */
function inFlame(x, y, scale) {
  x /= scale;
  y /= scale;
  const cy = 0.18;
  const r = 0.3;
  if (x * x + (y - cy) ** 2 <= r * r) return true;
  const apex = -0.55;
  if (y < apex || y > cy) return false;
  const half = (r * (y - apex)) / (cy - apex);
  return Math.abs(x) <= half;
}

function draw(size, zoom) {
  const S = 4; // supersampling
  return png(size, (px, py) => {
    let r = 0, g = 0, b = 0;
    for (let sy = 0; sy < S; sy++) {
      for (let sx = 0; sx < S; sx++) {
        const x = ((px + (sx + 0.5) / S) / size) * 2 - 1;
        const y = ((py + (sy + 0.5) / S) / size) * 2 - 1;
        let c = BG;
        const d = Math.hypot(x, y + 0.05) / zoom;
        const glow = Math.max(0, 1 - d / 0.85) ** 2 * 0.35;
        c = c.map((v, i) => v + (GLOW[i] - v) * glow);
        if (inFlame(x, y, zoom)) c = OUTER;
        if (inFlame(x, y - 0.1 * zoom, zoom * 0.55)) c = INNER;
        r += c[0];
        g += c[1];
        b += c[2];
      }
    }
    const n = S * S;
    return [Math.round(r / n), Math.round(g / n), Math.round(b / n), 255];
  });
}

mkdirSync(OUT, { recursive: true });
const targets = [
  ['icon-192.png', 192, 1],
  ['icon-512.png', 512, 1],
  ['icon-maskable-512.png', 512, 0.72], // inside the maskable safe zone
];
for (const [name, size, zoom] of targets) {
  const file = new URL(name, OUT);
  if (!existsSync(file) || process.argv.includes('--force')) writeFileSync(file, draw(size, zoom));
}
console.log('icons: public/icons/ ready');
