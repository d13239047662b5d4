/** `http.tls`: the embedded server speaks HTTPS from a certificate and key file. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer } from '../helpers/embedded.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

function get(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('HTTPS from http.tls', () => {
  it('serves over TLS with the configured certificate', async () => {
    const files = selfSigned();
    const server = await startTestServer({ http: { tls: files } });
    try {
      expect(server.url.startsWith('https://')).toBe(true);
      const r = await get(`${server.url}/healthz`, readFileSync(files.certFile));
      expect(r.status).toBe(200);
      // Plain HTTP to the TLS port gets no answer from the API.
      await expect(fetch(server.url.replace('https://', 'http://') + '/healthz')).rejects.toThrow();
    } finally {
      await server.dispose();
    }
  });

  it('a missing key file stops the start, naming the key', async () => {
    await expect(
      startTestServer({ http: { tls: { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'nope.pem') } } }),
    ).rejects.toThrow(/http\.tls\.keyFile: cannot read/);
  });
});
