/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';

// The entry (src/main.tsx) is small and starts the app's chunk (src/start.tsx) with a dynamic
// import: index.html names that chunk and the chunks it imports as modulepreloads, so the browser
// fetches them beside the entry instead of after it has run (issue 16). They count in the bundle
// budget (scripts/check-budget.mjs) like the entry.
function preloadApp(): Plugin {
  return {
    name: 'lantern-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle;
        const entry = ctx.chunk;
        if (!bundle || !entry) return html;
        const inEntry = new Set<string>([entry.fileName, ...entry.imports]);
        const files: string[] = [];
        const add = (file: string): void => {
          if (inEntry.has(file) || files.includes(file)) return;
          const chunk = bundle[file];
          if (chunk?.type !== 'chunk') return;
          files.push(file);
          for (const dep of chunk.imports) add(dep);
        };
        for (const file of entry.dynamicImports) {
          const chunk = bundle[file];
          if (chunk?.type === 'chunk' && chunk.facadeModuleId?.endsWith('/src/start.tsx')) add(file);
        }
        if (!files.length) throw new Error('lantern-preload-app: the chunk of src/start.tsx was not found');
        return {
          html,
          tags: files.map((file) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `/${file}` }, injectTo: 'head' as const })),
        };
      },
    },
  };
}

// The app shell. The service worker is built separately (vite.sw.config.ts) so that it
// is one classic script at /sw.js with a stable name.
export default defineConfig({
  plugins: [preloadApp()],
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
