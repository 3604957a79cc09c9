import { defineConfig } from 'vite';

// Builds src/sw.ts into dist/sw.js as one classic script; scripts/inject-manifest.mjs
// then writes the precache list into it.
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: false,
    target: 'es2022',
    sourcemap: false,
    minify: true,
    lib: {
      entry: 'src/sw.ts',
      formats: ['iife'],
      name: 'lanternServiceWorker',
      fileName: () => 'sw.js',
    },
  },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
});
