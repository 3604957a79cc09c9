/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The app shell. The service worker is built separately (vite.sw.config.ts) so that it
// is one classic script at /sw.js with a stable name.
export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    // Read by scripts/first-screens.mjs (then removed): which chunk each lazy screen is.
    manifest: true,
  },
  server: {
    // `lantern serve` on :8000 answers the API during development.
    proxy: { '/api': 'http://127.0.0.1:8000' },
  },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
  },
});
