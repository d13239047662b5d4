/**
 * The web UI in real Chromium against a real embedded server holding two series, one spike each:
 * every page loads without console errors and with no serious or critical axe-core violation;
 * the overview counts the series; the explorer completes metric and label names, draws values and
 * anomaly markers, and a drag-zoom re-queries GET /api/v1/points for the dragged range (both
 * charts, same range, maxPoints = the chart's width); a feedback click stores the label (read back
 * through the API) and the page shows the series' learned state; an incident shows its members
 * on one time axis and its root causes; the configuration page shows
 * the API's 400s at the field they name and saves a valid pipeline. A screenshot of each page is
 * saved under test-results/ui/.
 */
import type { Browser, Page, Request } from 'playwright-core';
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
const N = 400;
const SPIKE_AT = 300;
let s: TestServer;
let browser: Browser;
let w: WatchedPage;

interface AnomalyBody {
  anomalies: { id: string; series: string; start: number }[];
}

const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const r = await fetch(`${s.url}${path}`, init);
  expect(r.status, `${path}: ${r.status}`).toBeLessThan(300);
  return (await r.json()) as T;
};

beforeAll(async () => {
  // ewma's raw score flags the spike; the feedback stage keeps labels (as in feedback.test.ts).
  s = await startTestServer({
    engine: {
      pipeline: {
        detector: { name: 'ewma' },
        calibration: { name: 'none' },
        postRules: [{ name: 'feedback' }],
      },
    },
  });
  // A rule before the points: both spikes become one incident (its members and root causes).
  const rule = await fetch(`${s.url}/api/v1/alert-rules`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'ui-rule', match: 'ui_cpu', groupGapMs: 60_000 }),
  });
  expect(rule.status).toBe(201);
  const points = ['a', 'b'].flatMap((host) =>
    Array.from({ length: N }, (_, i) => ({
      metric: 'ui_cpu',
      tags: { host },
      ts: T0 + i * 10_000,
      value: i === SPIKE_AT ? 500 : 10 + Math.sin(i / 5) + (i % 7) * 0.05,
    })),
  );
  await postPoints(s.url, points);
  await eventually(async () => {
    const a = await api<AnomalyBody>('/api/v1/anomalies');
    return a.anomalies.length >= 2;
  });
  browser = await launchChromium();
  w = await openPage(browser);
});

afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

const isPoints = (r: Request) => new URL(r.url()).pathname === '/api/v1/points' && r.method() === 'GET';

async function checkPage(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, name);
  expect(w.errors).toEqual([]);
}

describe('web UI in Chromium', () => {
  it('overview shows the series count and the recent anomalies', async () => {
    const { page } = w;
    await page.goto(`${s.url}/`);
    await page.locator('[data-testid="series-count"]', { hasText: '2' }).waitFor();
    await page.locator('[data-testid="recent-anomalies"] table').waitFor();
    expect(await page.locator('[data-testid="recent-anomalies"] tbody tr').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('[data-testid="tenant"]').textContent()).toBe('default');
    await checkPage(page, 'overview');
  });

  it('explorer completes names, draws band and anomalies, and zoom re-queries the server', async () => {
    const { page } = w;
    await page.goto(`${s.url}/#/explore`);
    const input = page.locator('#selector');
    await input.fill('ui_');
    await page.locator('#selector-completions option[value="ui_cpu"]').waitFor({ state: 'attached' });
    await input.fill('ui_cpu{ho');
    await page.locator('#selector-completions option[value="ui_cpu{host="]').waitFor({ state: 'attached' });
    await input.fill('ui_cpu{host="');
    await page
      .locator('#selector-completions option[value=\'ui_cpu{host="b"}\']')
      .waitFor({ state: 'attached' });

    await input.fill('ui_cpu');
    const first: Request[] = [];
    const onFirst = (r: Request) => {
      if (isPoints(r)) first.push(r);
    };
    page.on('request', onFirst);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .locator('.chart p', { hasText: `${N} points in range` })
      .nth(1)
      .waitFor();
    page.off('request', onFirst);
    expect(first.length).toBe(2);
    const initial = new URL(first[0]!.url()).searchParams;
    expect(initial.get('from')).toBeNull();
    const width = Number(initial.get('maxPoints'));
    expect(width).toBe(
      await page
        .locator('.chart .uplot')
        .first()
        .evaluate((e) => e.clientWidth),
    );

    const ink = await canvasPixels(page, [0xb3, 0x26, 0x1e]);
    expect(ink.inked).toBeGreaterThan(1000);
    expect(ink.matching).toBeGreaterThan(10); // the anomaly marker's red

    // Drag across the middle of the first chart: both charts ask for that range at their width.
    const over = page.locator('.chart .u-over').first();
    const box = (await over.boundingBox())!;
    const zoomed: Request[] = [];
    const onZoom = (r: Request) => {
      if (isPoints(r)) zoomed.push(r);
    };
    page.on('request', onZoom);
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await page
      .locator('.chart p', { hasText: /^(?!400 )\d+ points in range/ })
      .nth(1)
      .waitFor();
    page.off('request', onZoom);
    expect(zoomed.length).toBe(2);
    const [qa, qb] = zoomed.map((r) => new URL(r.url()).searchParams);
    const from = Number(qa!.get('from'));
    const to = Number(qa!.get('to'));
    expect(from).toBeGreaterThan(T0);
    expect(to).toBeLessThan(T0 + N * 10_000);
    expect(to - from).toBeLessThan(N * 10_000 * 0.5);
    expect(qb!.get('from')).toBe(qa!.get('from'));
    expect(qb!.get('to')).toBe(qa!.get('to'));
    expect(Number(qa!.get('maxPoints'))).toBe(width);
    await checkPage(page, 'explorer');
  });

  it('explorer opened on a series key charts it; on a key-like selector of none, charts nothing', async () => {
    const { page } = w;
    // The key's chart is requested beside the search, and stays: the search selects that series.
    await page.goto(`${s.url}/#/explore?match=${encodeURIComponent('ui_cpu{host="a"}')}`);
    await page.locator('.chart p', { hasText: `${N} points in range` }).waitFor();
    await page.getByText('1 series match.').waitFor();
    expect(await page.locator('.chart').count()).toBe(1);
    // No such series: the chart started beside the search goes when the search selects none.
    await page.goto(`${s.url}/#/explore?match=${encodeURIComponent('ui_cpu{host="zz"}')}`);
    await page.getByText('0 series match.').waitFor();
    expect(await page.locator('.chart').count()).toBe(0);
    // The browser's log of that chart's 404 (it may answer after the search) is the only error.
    const missing = await eventually(async () => {
      const m = w.errors.filter((e) => /status of 404 .*\/api\/v1\/points\?/.test(e));
      return m.length > 0 && m;
    }, 60_000);
    expect(missing.length).toBe(1);
    w.errors.splice(0, w.errors.length, ...w.errors.filter((e) => !missing.includes(e)));
    await checkPage(page, 'explorer-key');
  });

  it('a direct explorer URL on a key: the shell starts the points request, the chart uses it', async () => {
    // A fresh page, so the shell's inline script runs (a hash change alone reloads nothing).
    const fresh = await openPage(browser);
    const { page } = fresh;
    const requested: URL[] = [];
    page.on('request', (r) => {
      if (isPoints(r)) requested.push(new URL(r.url()));
    });
    await page.goto(`${s.url}/#/explore?match=${encodeURIComponent('ui_cpu{host="b"}')}`);
    await page.locator('.chart p', { hasText: `${N} points in range` }).waitFor();
    await page.getByText('1 series match.').waitFor();
    // One request, the shell's (the CSP let its script run): at the viewport's width, which is
    // wider than the chart the bundle would have asked for.
    expect(requested.length).toBe(1);
    expect(requested[0]!.searchParams.get('series')).toBe('ui_cpu{host="b"}');
    expect(requested[0]!.searchParams.get('maxPoints')).toBe('1280');
    const width = await page.locator('.chart .uplot').evaluate((el) => el.clientWidth);
    expect(width).toBeLessThan(1280);
    expect(fresh.errors).toEqual([]);
    await page.context().close();
  });

  it('a feedback click stores the label and shows the learned state', async () => {
    const { page } = w;
    const spikes = await api<AnomalyBody>(
      `/api/v1/anomalies?series=${encodeURIComponent('ui_cpu{host="a"}')}`,
    );
    const target = spikes.anomalies.find((a) => a.start === T0 + SPIKE_AT * 10_000)!;
    expect(target).toBeDefined();
    await page.goto(`${s.url}/#/anomalies`);
    const row = page.locator(`tr[data-anomaly="${target.id}"]`);
    await row.waitFor();
    const posted = page.waitForResponse(
      (r) =>
        r.url().endsWith(`/api/v1/anomalies/${encodeURIComponent(target.id)}/feedback`) && r.status() === 201,
    );
    await row.getByRole('button', { name: /^Not anomaly/ }).click();
    await posted;
    await page.locator('[data-testid="learned"]', { hasText: 'not_anomaly' }).waitFor();
    expect(await row.getByRole('button', { name: /^Not anomaly/ }).getAttribute('aria-pressed')).toBe('true');
    const stored = await api<{ feedback: { anomaly: string; label: string }[] }>('/api/v1/feedback');
    expect(stored.feedback.filter((f) => f.anomaly === target.id).map((f) => f.label)).toEqual([
      'not_anomaly',
    ]);
    await checkPage(page, 'anomalies');
    // The series' Configuration page shows what the label taught its pipeline.
    await page.goto(`${s.url}/#/config?series=${encodeURIComponent('ui_cpu{host="a"}')}`);
    await page
      .locator('[data-testid="config-learned"]', { hasText: 'holds 1 label(s): not_anomaly at' })
      .waitFor();
  });

  it('an incident shows its members on one time axis, its root-cause ranking, and takes feedback on a member', async () => {
    const { page } = w;
    const inc = await eventually(async () => {
      const r = await api<{ incidents: { id: string; members: { peakValue: number }[] }[] }>(
        '/api/v1/incidents',
      );
      return r.incidents.find((i) => i.members.filter((m) => m.peakValue === 500).length === 2);
    });
    await page.goto(`${s.url}/#/incidents`);
    await page.locator(`a[href="#/incidents?id=${encodeURIComponent(inc.id)}"]`).click();
    await page.locator('[data-testid="root-causes"] tbody tr').first().waitFor();
    expect(await page.locator('[data-member]').count()).toBe(inc.members.length);
    // Every bar lies inside its track: the members share one time axis.
    for (const member of await page.locator('[data-member]').all()) {
      const track = (await member.locator('.member-track').boundingBox())!;
      const bar = (await member.locator('.member-bar').boundingBox())!;
      expect(bar.width).toBeGreaterThan(0);
      expect(bar.x).toBeGreaterThanOrEqual(track.x - 1);
      expect(bar.x + bar.width).toBeLessThanOrEqual(track.x + track.width + 5);
    }
    // Feedback from the incident: a member of host b labelled "expected", read back through the API.
    const full = await api<{ members: { id: string; seriesKey: string }[] }>(
      `/api/v1/incidents/${encodeURIComponent(inc.id)}`,
    );
    const member = full.members.find((m) => m.seriesKey === 'ui_cpu{host="b"}')!;
    expect(member).toBeDefined();
    const row = page.locator(`[data-testid="member-feedback"] tr[data-anomaly="${member.id}"]`);
    const posted = page.waitForResponse(
      (r) =>
        r.url().endsWith(`/api/v1/anomalies/${encodeURIComponent(member.id)}/feedback`) && r.status() === 201,
    );
    await row.getByRole('button', { name: /^Expected/ }).click();
    await posted;
    await page.locator('[data-testid="learned"]', { hasText: 'ui_cpu{host="b"}' }).waitFor();
    expect(await row.getByRole('button', { name: /^Expected/ }).getAttribute('aria-pressed')).toBe('true');
    const stored = await api<{ feedback: { anomaly: string; label: string }[] }>('/api/v1/feedback');
    expect(stored.feedback.filter((f) => f.anomaly === member.id).map((f) => f.label)).toEqual(['expected']);
    // One label for the whole incident: every member gets it, and every member row shows it.
    const all = page.waitForResponse(
      (r) =>
        r.url().endsWith(`/api/v1/incidents/${encodeURIComponent(inc.id)}/feedback`) && r.status() === 201,
    );
    await page.locator('button[data-all="anomaly"]').click();
    await all;
    await page
      .locator('[data-testid="labelled-all"]', { hasText: `${full.members.length} member(s)` })
      .waitFor();
    const after = await api<{ feedback: { anomaly: string; label: string }[] }>('/api/v1/feedback');
    for (const m of full.members) {
      expect(after.feedback.filter((f) => f.anomaly === m.id).map((f) => f.label)).toContain('anomaly');
      const pressed = page.locator(
        `[data-testid="member-feedback"] tr[data-anomaly="${m.id}"] button[aria-pressed="true"]`,
      );
      expect(await pressed.getAttribute('data-label')).toBe('anomaly');
    }
    await checkPage(page, 'incident');
  });

  it("configuration shows the API's validation at the field and saves a valid pipeline", async () => {
    const { page } = w;
    const key = 'ui_cpu{host="b"}';
    await page.goto(`${s.url}/#/config?series=${encodeURIComponent(key)}`);
    const threshold = page.getByLabel('Threshold');
    await page
      .locator('select[name="pipeline.detector.name"] option[value="ewma"]')
      .waitFor({ state: 'attached' });
    expect(await page.locator('select[name="pipeline.detector.name"]').inputValue()).toBe('ewma');

    await threshold.fill('5');
    const refused = page.waitForResponse(
      (r) => r.url().includes('/api/v1/series/config') && r.status() === 400,
    );
    await page.getByRole('button', { name: 'Save pipeline' }).click();
    await refused;
    const error = page.locator('[data-field="pipeline.threshold"] .field-error');
    await error.filter({ hasText: /threshold/ }).waitFor();
    expect(await threshold.getAttribute('aria-invalid')).toBe('true');

    // The afterglow shows ewma's default and can be turned off (kept as level 0 when saved).
    const glow = page.getByLabel('Afterglow (JSON)');
    expect(JSON.parse(await glow.inputValue())).toEqual({ level: 0.5, tau: 100 });
    await threshold.fill('0.5');
    await glow.fill('{"level": 0}');
    await page.getByRole('button', { name: 'Save pipeline' }).click();
    await page.getByText(/^Saved at/).waitFor();
    expect(await threshold.getAttribute('aria-invalid')).toBeNull();
    const cfg = await api<{ pipeline: { threshold: number; afterglow?: unknown } }>(
      `/api/v1/series/config?series=${encodeURIComponent(key)}`,
    );
    expect(cfg.pipeline.threshold).toBe(0.5);
    expect(cfg.pipeline.afterglow).toEqual({ level: 0, tau: 100 });

    const rules = page.getByRole('form', { name: 'New alert rule' });
    await rules.getByLabel('Name').fill('bad name!');
    await rules.getByLabel('Series selector').fill('ui_cpu');
    await rules.getByRole('button', { name: 'Add rule' }).click();
    await rules.locator('[data-field="name"] .field-error').filter({ hasText: /name/ }).waitFor();
    await rules.getByLabel('Name').fill('ui-spikes');
    await rules.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('cell', { name: 'ui-spikes' }).waitFor();

    // The two refusals above are the browser's log of the 400s this test asked for.
    const refusals = w.errors.filter((e) =>
      /status of 400 .*\/api\/v1\/(series\/config|alert-rules)/.test(e),
    );
    expect(refusals.length).toBe(2);
    w.errors.splice(0, w.errors.length, ...w.errors.filter((e) => !refusals.includes(e)));
    await checkPage(page, 'config');
  });
});
