/**
 * Real Chromium for the web UI's tests: Debian's `chromium` (scripts/services/install.sh installs
 * it) driven by playwright-core through its executable path; no browser is ever downloaded.
 * Each page records its console errors and uncaught exceptions, so a test can assert there were
 * none; screenshots go to test-results/ui/ (gitignored).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.VIGIL_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = resolve(import.meta.dirname, '../../test-results/ui');

export async function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root in containers, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions so far, each with the URL it came from. */
  errors: string[];
}

export async function openPage(browser: Browser): Promise<WatchedPage> {
  // A context of its own: axe-core opens a page beside it to assemble its results.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return { page, errors };
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'best-practice']).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Pixels of the page's first chart canvas that are neither transparent nor white, and those near
 * `rgb`. The body runs in the page; it is text because this project's types are Node's, not the DOM's.
 */
export async function canvasPixels(
  page: Page,
  rgb: [number, number, number],
): Promise<{ inked: number; matching: number }> {
  return page.evaluate(`(() => {
    const target = ${JSON.stringify(rgb)};
    const canvas = document.querySelector('.chart canvas');
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    let matching = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
      if (a === 0 || (r > 250 && g > 250 && b > 250)) continue;
      inked++;
      if (Math.abs(r - target[0]) < 30 && Math.abs(g - target[1]) < 30 && Math.abs(b - target[2]) < 30) matching++;
    }
    return { inked, matching };
  })()`);
}
