/**
 * The explorer's chart layout in real Chromium against a real embedded server holding one series
 * of six-digit values: the plot takes its section's width and asks the server for that many points
 * (it was created outside the page and kept uPlot's assumed 800 px), and the value axis is wide
 * enough for its labels (uPlot's fixed 50 px cut "150,000" to "0,000"). The labels are drawn on
 * the canvas, so the test measures the widest label the axis can have in the axis' font and
 * compares it with the room left of the plot area.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, type WatchedPage } from '../helpers/browser.ts';
import { eventually, postPoints, startTestServer, type TestServer } from '../helpers/embedded.ts';

const T0 = Date.UTC(2026, 0, 1);
const N = 400;
const KEY = 'layout_bytes{host="a"}';
/** src/ui/chart.ts AXIS_FONT. */
const AXIS_FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
let s: TestServer;
let browser: Browser;
let w: WatchedPage;

beforeAll(async () => {
  s = await startTestServer({});
  const points = Array.from({ length: N }, (_, i) => ({
    metric: 'layout_bytes',
    tags: { host: 'a' },
    ts: T0 + i * 10_000,
    value: 150_000 + 20_000 * Math.sin(i / 9),
  }));
  await postPoints(s.url, points);
  await eventually(async () => {
    const a = (await (await fetch(`${s.url}/api/v1/points?series=${encodeURIComponent(KEY)}`)).json()) as {
      total: number;
    };
    return a.total === N;
  });
  browser = await launchChromium();
  w = await openPage(browser);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

describe('the explorer chart', () => {
  it('takes its section width, asks for that many points, and leaves room for six-digit labels', async () => {
    const { page, errors } = w;
    const asked: number[] = [];
    page.on('request', (q) => {
      const u = new URL(q.url());
      if (u.pathname === '/api/v1/points' && u.searchParams.get('series') === KEY) {
        asked.push(Number(u.searchParams.get('maxPoints')));
      }
    });
    await page.goto(`${s.url}/#/explore?match=layout_bytes`);
    await page.locator('.chart p', { hasText: `${N} points in range` }).waitFor();

    // A string, evaluated in the page: this project's Node types have no DOM.
    const layout = (await page.evaluate(`(() => {
      const section = document.querySelector('.chart');
      const plot = section.querySelector('.uplot');
      const over = section.querySelector('.u-over');
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = ${JSON.stringify(AXIS_FONT)};
      // The axis' labels (ticks between 130,000 and 170,000) are seven characters like these.
      const widest = Math.max(...['130,000', '150,000', '170,000', '188,888'].map((t) => ctx.measureText(t).width));
      return {
        section: section.clientWidth,
        plot: plot.clientWidth,
        plotLeft: over.getBoundingClientRect().left - plot.getBoundingClientRect().left,
        widest,
      };
    })()`)) as { section: number; plot: number; plotLeft: number; widest: number };
    expect(layout.plot).toBe(layout.section);
    expect(layout.section).toBeGreaterThan(1000);
    // The chart's request asked for one point per pixel of its own width.
    expect(asked.at(-1)).toBe(layout.plot);
    // Left of the plot: the labels, uPlot's 10 px ticks and 5 px gap.
    expect(layout.plotLeft).toBeGreaterThanOrEqual(layout.widest + 15);
    await screenshot(page, 'explorer-six-digits');
    expect(errors).toEqual([]);
  }, 60_000);
});
