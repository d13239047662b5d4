/**
 * The UI's entry: the header (pages, tenant, logout), the hash router and the login gate. A page
 * is a function that renders into its root and returns what stops it (polling, charts); the
 * router calls that before the next page renders.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { anomaliesPage } from './anomalies.ts';
import { ApiError, apiKey, getJson, setApiKey } from './api.ts';
import { configPage } from './config.ts';
import { fill, h } from './dom.ts';
import { explorerPage } from './explorer.ts';
import { incidentsPage } from './incidents.ts';
import { overviewPage } from './overview.ts';
import type { WhoAmI } from './types.ts';

export type Page = (root: HTMLElement, params: URLSearchParams) => () => void;

const PAGES: Record<string, { title: string; page: Page }> = {
  '': { title: 'Overview', page: overviewPage },
  explore: { title: 'Series', page: explorerPage },
  anomalies: { title: 'Anomalies', page: anomaliesPage },
  incidents: { title: 'Incidents', page: incidentsPage },
  config: { title: 'Configuration', page: configPage },
};

const app = document.getElementById('app') as HTMLElement;
const nav = h('nav', { 'aria-label': 'Pages' });
const who = h('span', { class: 'tenant' });
const main = h('main', { id: 'main' });
let stop: (() => void) | undefined;

function route(): void {
  stop?.();
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const entry = PAGES[path] ?? PAGES['']!;
  fill(
    nav,
    ...Object.entries(PAGES).map(([p, e]) =>
      h('a', { href: `#/${p}`, 'aria-current': e === entry ? 'page' : undefined }, e.title),
    ),
  );
  document.title = `${entry.title} · Vigil`;
  main.replaceChildren();
  stop = entry.page(main, new URLSearchParams(query));
}

function showLogin(message?: string): void {
  stop?.();
  stop = undefined;
  fill(nav);
  fill(who);
  const input = h('input', { id: 'api-key', type: 'password', autocomplete: 'off', required: true });
  const error = h('p', { class: 'error', role: 'alert' }, message);
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'Sign in to Vigil'),
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setApiKey(input.value.trim());
    void start(true);
  });
  fill(main, form);
  input.focus();
}

/** `typed`: the key was just entered in the form (not yet known to work). */
async function start(typed = false): Promise<void> {
  const hadKey = apiKey() !== null;
  const whoami = getJson<WhoAmI>('/api/v1/whoami');
  // The page starts beside the whoami request rather than after it (one round trip less to its
  // data): a refused key shows the form below, whichever answers first. Not with a key just
  // typed: each of the page's requests with a wrong key would count as a failed authentication
  // (auth.maxFailures); a missing key does not count.
  if (!typed) route();
  try {
    const me = await whoami;
    fill(
      who,
      'Tenant ',
      h('strong', { 'data-testid': 'tenant' }, me.tenant),
      me.keyId !== null
        ? h(
            'button',
            {
              type: 'button',
              class: 'link',
              onclick: () => {
                setApiKey(null);
                showLogin();
              },
            },
            'Sign out',
          )
        : null,
    );
    if (typed) route();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setApiKey(null);
      showLogin(hadKey ? 'That key was not accepted.' : undefined);
    } else if (err instanceof ApiError && err.status === 403) {
      setApiKey(null);
      showLogin('That key has no read scope; the UI needs one that does.');
    } else showLogin(`Vigil did not answer: ${String(err)}`);
  }
}

fill(app, h('header', {}, h('a', { class: 'brand', href: '#/' }, 'Vigil'), nav, who), main);
window.addEventListener('hashchange', () => {
  if (nav.childElementCount > 0) route();
});
// A 401 while a page runs (a key revoked meanwhile); at start, start() itself shows the form.
window.addEventListener('vigil:login', () => {
  if (stop === undefined) return;
  setApiKey(null);
  showLogin('Please sign in again: the key was refused.');
});
void start();
