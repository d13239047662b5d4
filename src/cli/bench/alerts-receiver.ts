/**
 * The webhook receiver of `vigil bench alerts`: a loopback node:http server that verifies each
 * request's signature (`verifyWebhook`, as a real receiver must) and reports every verified alert
 * with the moment its body was fully received. Refused requests are counted, answered 401, never
 * reported.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  verifyWebhook,
} from '../../adapters/notify/webhook-signature.ts';

/** What the bench needs of one verified webhook body. */
export interface ReceivedAlert {
  status: string;
  labels: Record<string, string>;
  /** Date.now() when the last byte of the request arrived. */
  receivedAt: number;
}

export interface Receiver {
  url: string;
  /** Requests whose signature or timestamp did not verify. */
  refused(): number;
  close(): Promise<void>;
}

export async function startReceiver(secret: string, onAlert: (a: ReceivedAlert) => void): Promise<Receiver> {
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const receivedAt = Date.now();
      const body = Buffer.concat(chunks);
      const header = (name: string) => {
        const v = req.headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      };
      const check = verifyWebhook({
        secret,
        body,
        timestamp: header(TIMESTAMP_HEADER),
        signature: header(SIGNATURE_HEADER),
        nowMs: receivedAt,
      });
      if (!check.ok) {
        refused++;
        res.writeHead(401).end();
        return;
      }
      res.writeHead(204).end();
      const alert = JSON.parse(body.toString('utf8')) as { status: string; labels: Record<string, string> };
      onAlert({ status: alert.status, labels: alert.labels, receivedAt });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
