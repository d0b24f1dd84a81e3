/**
 * What every browser test in the repository shares: headless Chromium with WebGPU on SwiftShader,
 * a static server for the pages it opens, and a bundler for pages without a build of their own.
 */
export { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumMissing, launchChromium, type LaunchedBrowser } from './chromium.js';
export { CROSS_ORIGIN_ISOLATION_HEADERS, serveDirectory, type ServeOptions, type StaticServer } from './serve.js';
export { bundlePage } from './bundle.js';
/** The playwright types tests handle, so that they need not depend on playwright themselves. */
export type { BrowserContext, Page } from 'playwright-core';
