// Vite builds the SPA into dist/, which `teamvl serve --web-dir web/dist` serves.
// JSX goes through esbuild straight to Preact: no framework plugin needed.
import { defineConfig } from 'vite';

const backend = process.env.TEAMVL_DEV_BACKEND ?? 'http://127.0.0.1:7990';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2020', chunkSizeWarningLimit: 400 },
  // `npm run dev` proxies the API to a running teamvl (TEAMVL_DEV_BACKEND).
  server: { proxy: { '/api': { target: backend, ws: false }, '/v1': backend } },
});
