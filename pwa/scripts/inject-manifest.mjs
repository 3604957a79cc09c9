// Writes the precache list (the app shell only) into dist/sw.js with Workbox's injectManifest.
// API answers are never precached or cached at run time.
import { injectManifest } from 'workbox-build';

const { count, size, warnings } = await injectManifest({
  swSrc: 'dist/sw.js',
  swDest: 'dist/sw.js',
  globDirectory: 'dist',
  globPatterns: ['index.html', 'assets/**/*.{js,css,woff2}', 'manifest.webmanifest', 'icons/*.png'],
  globIgnores: ['sw.js', '**/*.map'],
  // Hashed file names are their own revision.
  dontCacheBustURLsMatching: /^assets\/.+-[A-Za-z0-9_-]{8,}\.(js|css|woff2)$/,
  maximumFileSizeToCacheInBytes: 2 * 1024 * 1024,
});
for (const w of warnings) console.warn(`precache: ${w}`);
console.log(`precache: ${count} files, ${(size / 1024).toFixed(1)} KiB (app shell only)`);
