import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { fileURLToPath } from 'node:url';
import { ensureModels } from './scripts/models.js';

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** A bare `vite build` (or dev server) still gets models: the default run's, where `npm run models` has not run. */
function demoModels(): Plugin {
  let publicDir = '';
  return {
    name: 'scm-demo-models',
    configResolved: (config) => void (publicDir = config.publicDir),
    buildStart: () => ensureModels(publicDir),
  };
}

export default defineConfig({
  // Relative URLs: the built folder works from any path, served by any static file server.
  base: './',
  plugins: [demoModels()],
  resolve: {
    // onnxruntime-web's build that loads its wasm runtime from ort.env.wasm.wasmPaths (public/ort/, written by
    // scripts/models.ts). Its default build embeds the glue and makes vite emit a second 28 MB copy of the binary.
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  // The WASM worker (src/ort-worker.ts) loads ONNX Runtime's glue with a dynamic import, which classic workers cannot.
  worker: { format: 'es' },
  // Cross-origin isolated, as the README recommends hosting it: WASM gets threads (src/wasm-threads.ts).
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  build: {
    target: 'es2022',
    // bench.html times sampling on each backend (bench/browser/run.ts); it shares the demo's generators.
    rollupOptions: { input: { main: page('index.html'), bench: page('bench.html') } },
  },
});
