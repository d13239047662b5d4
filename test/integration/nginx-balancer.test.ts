/**
 * nginx from scripts/services/nginx.sh in front of two small HTTP servers standing in for
 * `vigil api` replicas: requests reach both, bodies arrive whole with X-Forwarded-For, and POSTs
 * keep succeeding when a replica answers 503 or is gone (proxy_next_upstream … non_idempotent).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service, serviceAction } from '../support/services.ts';

interface Replica {
  name: string;
  server: Server;
  port: number;
  /** What it answers: 200 with what it received, or 503 as a replica that is not ready. */
  mode: 'ok' | 'unavailable';
  posts: number;
}

async function startReplica(name: string): Promise<Replica> {
  const replica: Replica = { name, server: createServer(), port: 0, mode: 'ok', posts: 0 };
  replica.server.on('request', (req, res) => {
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
    });
    req.on('end', () => {
      if (replica.mode === 'unavailable') {
        res.writeHead(503, { 'retry-after': '1' }).end();
        return;
      }
      if (req.method === 'POST') replica.posts++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ name, method: req.method, bytes, xff: req.headers['x-forwarded-for'] ?? null }),
      );
    });
  });
  await new Promise<void>((resolve) => replica.server.listen(0, '127.0.0.1', resolve));
  replica.port = (replica.server.address() as AddressInfo).port;
  return replica;
}

async function stop(r: Replica): Promise<void> {
  r.server.closeAllConnections();
  await new Promise((resolve) => r.server.close(resolve));
}

interface Answer {
  name: string;
  method: string;
  bytes: number;
  xff: string | null;
}

let a: Replica;
let b: Replica;
let url = '';

async function send(method: 'GET' | 'POST', body?: Uint8Array): Promise<{ status: number; answer?: Answer }> {
  const res = await fetch(`${url}/api/v1/ingest`, {
    method,
    body: body ?? null,
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, answer: res.ok ? (JSON.parse(text) as Answer) : undefined };
}

beforeAll(async () => {
  a = await startReplica('a');
  b = await startReplica('b');
  url = service('nginx', { VIGIL_NGINX_UPSTREAMS: `127.0.0.1:${a.port},127.0.0.1:${b.port}` })
    .VIGIL_NGINX_URL!;
});

afterAll(async () => {
  try {
    serviceAction('nginx', ['down']);
  } finally {
    if (a !== undefined) await stop(a);
    if (b?.server.listening) await stop(b);
  }
});

describe('nginx load balancer', () => {
  it('spreads requests over both replicas and forwards whole bodies with X-Forwarded-For', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const r = await send('GET');
      expect(r.status).toBe(200);
      seen.add(r.answer!.name);
      expect(r.answer!.xff).toBe('127.0.0.1');
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
    // Above client_body_buffer_size: nginx spools it to its temp dir (as its worker user) first.
    const body = new Uint8Array(3 * 1024 * 1024).fill(7);
    const r = await send('POST', body);
    expect(r.status).toBe(200);
    expect(r.answer!.bytes).toBe(body.length);
  });

  it('a POST answered 503 by one replica is retried on the other', async () => {
    b.mode = 'unavailable';
    const before = a.posts;
    for (let i = 0; i < 6; i++) {
      const r = await send('POST', new TextEncoder().encode(`{"points":[${i}]}`));
      expect(r.status).toBe(200);
      expect(r.answer!.name).toBe('a');
    }
    expect(a.posts - before).toBe(6);
    b.mode = 'ok';
  });

  it('POSTs keep succeeding after one replica is gone', async () => {
    await stop(b);
    for (let i = 0; i < 10; i++) {
      const r = await send('POST', new TextEncoder().encode(`{"points":[${i}]}`));
      expect(r.status).toBe(200);
      expect(r.answer!.name).toBe('a');
    }
  });
});
