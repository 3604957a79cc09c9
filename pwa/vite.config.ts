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

// The page's stylesheet (one small file, src/styles.css) is written into index.html as a <style>
// element instead of a <link>: the first paint then waits for the document alone, not for a
// second request under a slow network's round trip (issue 16). The server allows exactly that
// element in its Content-Security-Policy by its SHA-256 (api/platform/shell_csp.py); the file
// itself is dropped from the build.
function inlineCss(): Plugin {
  const inlined = new Set<string>();
  return {
    name: 'lantern-inline-css',
    apply: 'build',
    enforce: 'post',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle;
        if (!bundle) return html;
        return html.replace(/<link rel="stylesheet"[^>]*href="\/([^"]+\.css)"[^>]*>/g, (tag, file: string) => {
          const asset = bundle[file];
          if (asset?.type !== 'asset') return tag;
          const css = typeof asset.source === 'string' ? asset.source : new TextDecoder().decode(asset.source);
          if (/<\/style/i.test(css)) throw new Error(`lantern-inline-css: ${file} contains "</style"`);
          inlined.add(file);
          return `<style>${css.trim()}</style>`;
        });
      },
    },
    generateBundle(_options, bundle) {
      for (const file of inlined) delete bundle[file];
      // build.cssCodeSplit is off (one stylesheet, named by no chunk): any other would be lost.
      const others = Object.keys(bundle).filter((file) => file.endsWith('.css'));
      if (others.length) throw new Error(`lantern-inline-css: stylesheets not inlined: ${others.join(', ')}`);
    },
  };
}

// The app shell. The service worker is built separately (vite.sw.config.ts) so that it
// is one classic script at /sw.js with a stable name.
export default defineConfig({
  plugins: [preloadApp(), inlineCss()],
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    // One stylesheet for the whole app, inline in index.html (inlineCss): with code-split CSS a lazy
    // screen's import would also fetch (and wait for) the entry's stylesheet file.
    cssCodeSplit: false,
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
