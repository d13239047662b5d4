/**
 * The web UI's load time: `npx node bench/ui-load.ts [runs] [points]` (default 15 runs, 1,000,000
 * points). Prints figures and writes bench/results/ui.json; never gates on time.
 *
 * An embedded server on a throwaway data dir gets one series of `points` points (10 s apart, a
 * spike every 50,000), ingested as JSON and waited for until GET /api/v1/points counts them all.
 * Then, in Debian's Chromium (headless, as the browser tests run it), each run opens a fresh
 * browser context (empty cache) and navigates to the series explorer on that series: the figure
 * is the time from navigation start to the first animation frame after the chart was drawn (the
 * UI's `vigil:chart-drawn` User Timing mark), read in the page on its own clock. Each run is
 * paired with a load of the Swagger page (/docs) in a fresh context, to its first animation frame
 * showing an operation, measured the same way, so both see the same machine at the same moment.
 * Also printed: the JavaScript each page loads (bytes, and gzipped), and GET /api/v1/points for
 * the whole series at a chart's width, timed from Node.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Browser, Page } from 'playwright-core';
import { buildUiBundle } from '../src/adapters/http/ui-routes.ts';
import { startEmbedded } from '../src/app/embedded.ts';
import { validateConfig } from '../src/config/load.ts';
import { launchChromium } from '../test/helpers/browser.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
// Load average when the run starts: the figures of a shared machine mean little without it.
const LOAD = loadavg();
const POINTS = Number(process.argv[3] ?? 1_000_000);
const T0 = Date.UTC(2025, 0, 1);
const KEY = 'ui_bench{host="a"}';
const BATCH = 20_000;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const round = (v: number) => Math.round(v * 10) / 10;

/**
 * Loads `url` in a fresh context; returns ms from navigation start to the frame `ready` is true,
 * and what `parts` (an expression, evaluated then) says.
 */
async function load(
  browser: Browser,
  url: string,
  ready: string,
  parts = 'null',
): Promise<{ ms: number; parts: Record<string, number> | null; js: Buffer[] }> {
  // bypassCSP: the UI's CSP forbids the string evaluation waitForFunction uses to read the clock.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page: Page = await context.newPage();
  const js: Promise<Buffer>[] = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') js.push(r.body());
  });
  await page.goto(url);
  const handle = await page.waitForFunction(
    `(${ready}) && { ms: performance.now(), parts: ${parts} }`,
    undefined,
    {
      polling: 'raf',
      timeout: 120_000,
    },
  );
  const { ms, parts: split } = (await handle.jsonValue()) as {
    ms: number;
    parts: Record<string, number> | null;
  };
  const bodies = await Promise.all(js);
  await context.close();
  return { ms, parts: split, js: bodies };
}

const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-ui-'));
const server = await startEmbedded(
  validateConfig({ dataDir, logLevel: 'warn', http: { host: '127.0.0.1', port: 0 } }),
);
let browser: Browser | undefined;
try {
  const ingestStart = performance.now();
  for (let from = 0; from < POINTS; from += BATCH) {
    const points = Array.from({ length: Math.min(BATCH, POINTS - from) }, (_, k) => {
      const i = from + k;
      return {
        metric: 'ui_bench',
        tags: { host: 'a' },
        ts: T0 + i * 10_000,
        value: i % 50_000 === 49_999 ? 500 : 10 + Math.sin(i / 360) * 3 + (i % 7) * 0.1,
      };
    });
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points }),
    });
    if (r.status !== 204) throw new Error(`ingest answered ${r.status}: ${await r.text()}`);
  }
  const pointsUrl = `${server.url}/api/v1/points?series=${encodeURIComponent(KEY)}&maxPoints=1200`;
  for (;;) {
    const r = (await (await fetch(pointsUrl)).json()) as { total: number };
    if (r.total >= POINTS) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const ingestS = (performance.now() - ingestStart) / 1000;
  console.log(`ingested and stored ${POINTS} points in ${ingestS.toFixed(1)} s`);

  const api: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await (await fetch(pointsUrl)).arrayBuffer();
    api.push(performance.now() - t);
  }

  const bundle = await buildUiBundle();
  browser = await launchChromium();
  const uiUrl = `${server.url}/#/explore?match=${encodeURIComponent(KEY)}`;
  const uiReady = "performance.getEntriesByName('vigil:chart-drawn').length > 0";
  // Where the time goes: before the points request, the request (server and transfer), the drawing.
  const uiParts = `(() => {
    const r = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/v1/points'));
    const drawn = performance.getEntriesByName('vigil:chart-drawn')[0].startTime;
    const shell = performance.getEntriesByType('navigation')[0].responseEnd;
    const bundle = performance.getEntriesByType('resource').find((e) => e.name.includes('/ui/app.js'));
    return {
      shell, toRequest: r.startTime, request: r.responseEnd - r.startTime, draw: drawn - r.responseEnd,
      bundleLoaded: bundle.responseEnd,
      serverRead: r.serverTiming.find((t) => t.name === 'read')?.duration ?? -1,
    };
  })()`;
  const docsUrl = `${server.url}/docs`;
  const docsReady = "document.querySelector('.opblock') !== null";
  // One unmeasured load of each: the server's first bundle build and first /docs render.
  await load(browser, uiUrl, uiReady);
  const docsFirst = await load(browser, docsUrl, docsReady);
  const ui: number[] = [];
  const split: Record<string, number[]> = {
    shell: [],
    toRequest: [],
    request: [],
    draw: [],
    bundleLoaded: [],
    serverRead: [],
  };
  const docs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await load(browser, uiUrl, uiReady, uiParts);
    ui.push(run.ms);
    for (const [k, v] of Object.entries(run.parts ?? {})) split[k]?.push(v);
    docs.push((await load(browser, docsUrl, docsReady)).ms);
  }
  const partsP50 = Object.fromEntries(Object.entries(split).map(([k, v]) => [k, round(pct(v, 50))]));
  const docsJs = Buffer.concat(docsFirst.js);
  const result = {
    date: new Date().toISOString(),
    loadAverage1m: round(LOAD[0]!),
    points: POINTS,
    runs: RUNS,
    ingestSeconds: round(ingestS),
    uiFirstChartMs: { p50: round(pct(ui, 50)), p90: round(pct(ui, 90)), min: round(Math.min(...ui)) },
    /** p50 of each part: navigation → points request, the request, response → chart drawn. */
    uiPartsP50Ms: partsP50,
    swaggerFirstOperationMs: {
      p50: round(pct(docs, 50)),
      p90: round(pct(docs, 90)),
      min: round(Math.min(...docs)),
    },
    pointsApiMs: { p50: round(pct(api, 50)), p90: round(pct(api, 90)) },
    uiJsBytes: bundle.js.body.length,
    uiJsGzipBytes: bundle.js.gzip.length,
    uiCssBytes: bundle.css.body.length,
    swaggerJsBytes: docsJs.length,
    swaggerJsGzipBytes: gzipSync(docsJs, { level: 9 }).length,
  };
  console.log(
    `UI, navigation → first chart of ${POINTS} points: p50 ${result.uiFirstChartMs.p50} ms, p90 ${result.uiFirstChartMs.p90} ms (${RUNS} cold loads)`,
  );
  console.log(
    `  of which: navigation → points request ${partsP50.toRequest} ms, request ${partsP50.request} ms, response → drawn ${partsP50.draw} ms (p50 each)`,
  );
  console.log(
    `  navigation → HTML shell received ${partsP50.shell} ms, → bundle /ui/app.js received ${partsP50.bundleLoaded} ms; the server's read and downsampling (Server-Timing) ${partsP50.serverRead} ms (p50 each)`,
  );
  console.log(
    `Swagger /docs, navigation → first operation: p50 ${result.swaggerFirstOperationMs.p50} ms, p90 ${result.swaggerFirstOperationMs.p90} ms`,
  );
  console.log(`GET /api/v1/points (whole series, maxPoints 1200): p50 ${result.pointsApiMs.p50} ms`);
  console.log(
    `UI JavaScript: ${result.uiJsBytes} B, ${result.uiJsGzipBytes} B gzipped (CSS ${result.uiCssBytes} B); Swagger's: ${result.swaggerJsBytes} B, ${result.swaggerJsGzipBytes} B gzipped`,
  );
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/ui.json'), `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await browser?.close();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
