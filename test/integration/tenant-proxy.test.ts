/**
 * Behind an authenticating proxy (auth.mode none), the tenant comes from X-Scope-OrgID, but only
 * from a peer in http.trustProxy; the header from anyone else is refused, never believed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { peerMatcher } from '../../src/adapters/http/auth.ts';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.dispose();
});
const T = Date.UTC(2026, 0, 1);

async function server(o: Record<string, unknown>): Promise<TestServer> {
  const s = await startTestServer(o);
  servers.push(s);
  return s;
}

const write = (s: TestServer, headers: Record<string, string>) =>
  fetch(`${s.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ points: [{ metric: 'proxied', ts: T, value: 1 }] }),
  });
const keys = async (s: TestServer, headers: Record<string, string>) =>
  (
    (await (await fetch(`${s.url}/api/v1/series`, { headers })).json()) as { series: { key: string }[] }
  ).series.map((x) => x.key);

describe('X-Scope-OrgID from a trusted proxy', () => {
  it('sets the tenant: its series are its own', async () => {
    const s = await server({ auth: { mode: 'none' }, http: { trustProxy: ['127.0.0.0/8'] } });
    expect((await write(s, { 'x-scope-orgid': 'acme' })).status).toBe(204);
    expect(await keys(s, { 'x-scope-orgid': 'acme' })).toEqual(['proxied']);
    expect(await keys(s, {})).toEqual([]);
    expect(s.knownSeries('proxied{__tenant__="acme"}')).toBe(true);
    const bad = await write(s, { 'x-scope-orgid': 'Not A Tenant' });
    expect(bad.status).toBe(400);
  });

  it('is refused from a peer outside http.trustProxy, and in loopback mode', async () => {
    for (const o of [{ auth: { mode: 'none' }, http: { trustProxy: ['10.0.0.0/8'] } }, {}]) {
      const s = await server(o);
      const r = await write(s, { 'x-scope-orgid': 'acme' });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN', field: 'X-Scope-OrgID' });
      expect(await keys(s, {})).toEqual([]);
    }
  });

  it('matches addresses and CIDR ranges, IPv4, IPv6 and IPv4-mapped', () => {
    const m = peerMatcher(['10.0.0.0/8', '192.168.1.7', '::1', 'fd00::/8']);
    expect([m('10.2.3.4'), m('::ffff:10.9.9.9'), m('192.168.1.7'), m('::1'), m('fd12::5')]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect([m('11.0.0.1'), m('192.168.1.8'), m('::2'), m(undefined)]).toEqual([false, false, false, false]);
  });
});
