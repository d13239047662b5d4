/**
 * "Try it" on the Configuration page in real Chromium against a real embedded server holding one
 * series with a spike: a sensitive edited pipeline is replayed (POST /api/v1/series/replay), the
 * chart draws its markers (orange rings) beside the stored anomaly (red), the legend and the
 * summary give both counts as the API does, and nothing was saved; an invalid threshold shows the
 * API's 400 at the field. No console errors beyond that 400, no serious or critical axe-core
 * violation; the screenshot is saved as test-results/ui/config-tryit.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canvasPixels,
  launchChromium,
  openPage,
  screenshot,
  seriousViolations,
  type WatchedPage,
} from '../helpers/browser.ts';
import { eventually, postPoints, startTestServer, type TestServer } from '../helpers/embedded.ts';

const T0 = Date.UTC(2026, 0, 1);
const N = 600;
const SPIKE_AT = 450;
const KEY = 'tryit_cpu{host="a"}';
let s: TestServer;
let browser: Browser;
let w: WatchedPage;

const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const r = await fetch(`${s.url}${path}`, init);
  expect(r.status, `${path}: ${r.status}`).toBeLessThan(300);
  return (await r.json()) as T;
};

beforeAll(async () => {
  // The raw ewma score at a high threshold: only the spike is stored as an anomaly.
  s = await startTestServer({
    engine: { pipeline: { detector: { name: 'ewma' }, calibration: { name: 'none' }, threshold: 0.999 } },
  });
  const points = Array.from({ length: N }, (_, i) => ({
    metric: 'tryit_cpu',
    tags: { host: 'a' },
    ts: T0 + i * 10_000,
    value: i === SPIKE_AT ? 500 : 10 + Math.sin(i / 5) + (i % 7) * 0.05,
  }));
  await postPoints(s.url, points);
  await eventually(async () => {
    const a = await api<{ anomalies: unknown[] }>('/api/v1/anomalies');
    return a.anomalies.length >= 1;
  });
  browser = await launchChromium();
  w = await openPage(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

describe('Try it on the Configuration page', () => {
  it('replays the edited pipeline and draws what it would raise beside what is raised now', async () => {
    const { page } = w;
    await page.goto(`${s.url}/#/config?series=${encodeURIComponent(KEY)}`);
    await page
      .locator('select[name="pipeline.detector.name"] option[value="ewma"]')
      .waitFor({ state: 'attached' });
    const threshold = page.getByLabel('Threshold');
    await threshold.fill('0.2');
    const answered = page.waitForResponse(
      (r) => r.url().includes('/api/v1/series/replay') && r.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Try it' }).click();
    const replay = (await (await answered).json()) as { raised: number; points: number; current: unknown[] };
    expect(replay.points).toBe(N);
    expect(replay.current.length).toBe(1);
    expect(replay.raised).toBeGreaterThan(1);

    const would = page.locator('[data-testid="tryit-legend"] [data-kind="would"]');
    await would.filter({ hasText: `would raise: ${replay.raised}` }).waitFor();
    expect(await page.locator('[data-testid="tryit-legend"] [data-kind="now"]').textContent()).toContain(
      'raised now: 1',
    );
    expect(await page.getByTestId('tryit-summary').textContent()).toBe(
      `Would raise ${replay.raised} anomalies over the last ${N} points; 1 raised now.`,
    );
    await page.locator('.tryit canvas').waitFor();
    const ink = await canvasPixels(page, [0xe8, 0x71, 0x0a]);
    expect(ink.inked).toBeGreaterThan(1000);
    expect(ink.matching).toBeGreaterThan(20); // the replay markers' orange
    const red = await canvasPixels(page, [0xb3, 0x26, 0x1e]);
    expect(red.matching).toBeGreaterThan(5); // the stored anomaly's marker

    // Trying saved nothing.
    const cfg = await api<{ pipeline: { threshold: number } }>(
      `/api/v1/series/config?series=${encodeURIComponent(KEY)}`,
    );
    expect(cfg.pipeline.threshold).toBe(0.999);
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'config-tryit');

    await threshold.fill('5');
    const refused = page.waitForResponse(
      (r) => r.url().includes('/api/v1/series/replay') && r.status() === 400,
    );
    await page.getByRole('button', { name: 'Try it' }).click();
    await refused;
    await page
      .locator('[data-field="pipeline.threshold"] .field-error')
      .filter({ hasText: /threshold/ })
      .waitFor();
    expect(await threshold.getAttribute('aria-invalid')).toBe('true');
    // The one console error is the browser's log of that 400.
    expect(w.errors.length).toBe(1);
    expect(w.errors[0]).toMatch(/status of 400 .*\/api\/v1\/series\/replay/);
  });
});
