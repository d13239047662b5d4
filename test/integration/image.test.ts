/**
 * deploy/Dockerfile built and run for real, without Docker: scripts/image.sh builds it with buildah
 * on a test-only node:24 stand-in (cached; minutes cold) and runs it with podman (runc). The
 * container answers /healthz and /readyz on its published port, stores and returns an ingested
 * point, runs as the unprivileged user, and its HEALTHCHECK command passes; stopping it removes the
 * container, bridge and iptables chains podman made.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { eventually } from '../helpers/embedded.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const script = join(root, 'scripts/image.sh');

function image(args: string[], timeout = 120_000): string {
  return execFileSync('bash', [script, ...args], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout,
  }).trim();
}

let tag = '';
let id = '';
let url = '';
let stopped = false;

beforeAll(async () => {
  image(['tools'], 600_000);
  // Cold: debootstrap, the Node stand-in and the build (~5 min on 2 busy cores); warm: seconds.
  tag = image(['build', 'test'], 1_800_000).split('\n').at(-1)!;
  const port = await freePort();
  id = image(['run', '-p', `127.0.0.1:${port}:8080`, tag]);
  url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/healthz`)).ok, 120_000);
}, 2_500_000);

afterAll(() => {
  if (id !== '' && !stopped) image(['stop', id]);
});

describe('the image, run with podman', () => {
  it('answers /healthz and /readyz', async () => {
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const ready = await eventually(async () => {
      const r = await fetch(`${url}/readyz`);
      return r.status === 200 ? r : null;
    }, 60_000);
    expect(ready.status).toBe(200);
  });

  it('stores an ingested point and returns it from the query API', async () => {
    const ts = Date.UTC(2026, 0, 1);
    const r = await fetch(`${url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ metric: 'image_test', tags: { host: 'c1' }, ts, value: 42.5 }] }),
    });
    expect(r.status).toBe(204);
    const got = await eventually(async () => {
      const q = await fetch(`${url}/api/v1/points?series=${encodeURIComponent('image_test{host="c1"}')}`);
      if (q.status !== 200) return null;
      const body = (await q.json()) as { total: number; points: { ts: number; value: number }[] };
      return body.total === 1 ? body : null;
    }, 30_000);
    expect(got.points[0]).toMatchObject({ ts, value: 42.5 });
  });

  it('runs as the unprivileged user 10001, not root', () => {
    expect(image(['podman', 'exec', id, 'id', '-u'])).toBe('10001');
    expect(image(['podman', 'exec', id, 'id', '-g'])).toBe('10001');
    // The code is not the runtime user's to change.
    const write = spawnSync('bash', [script, 'podman', 'exec', id, 'touch', '/app/src/x'], {
      encoding: 'utf8',
    });
    expect(write.status).not.toBe(0);
  });

  it('passes its own HEALTHCHECK command (its timers need systemd, so it is run by hand)', () => {
    const format = '{{json .Config.Healthcheck.Test}}';
    const test = JSON.parse(image(['podman', 'image', 'inspect', '--format', format, tag])) as string[];
    expect(test[0]).toBe('CMD');
    const r = spawnSync('bash', [script, 'podman', 'exec', id, ...test.slice(1)], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('leaves no container, bridge or iptables chain behind once stopped', () => {
    image(['stop', id]);
    stopped = true;
    expect(image(['podman', 'ps', '-aq', '--filter', `id=${id}`])).toBe('');
    expect(spawnSync('ip', ['link', 'show', 'cni-podman0']).status).not.toBe(0);
    expect(execFileSync('iptables-save', { encoding: 'utf8' })).not.toMatch(/CNI-/);
  });
});
