import { Worker } from 'node:worker_threads';
import { expect, it } from 'vitest';
import { WorkerRpc } from '../../../../src/adapters/os/worker-rpc.ts';

// Echoes `n * 2`; refuses a negative n; `crash` throws in the thread; also sends a non-reply report.
const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.crash) throw new Error('boom');
  parentPort.postMessage({ report: m.n });
  if (m.n < 0) parentPort.postMessage({ id: m.id, ok: false, message: 'negative' });
  else parentPort.postMessage({ id: m.id, ok: true, value: m.n * 2 });
});`;

function open() {
  const reports: unknown[] = [];
  const failures: Error[] = [];
  const worker = new Worker(ECHO, { eval: true });
  const rpc = new WorkerRpc<{ id: number; ok: boolean; message?: string; value?: number }>(worker, {
    name: 'echo',
    refused: (m) => new Error(`refused: ${m.message}`),
    dead: (err) => new Error(`dead: ${err.message}`),
    onMessage: (m) => reports.push(m),
    onFailure: (err) => failures.push(err),
  });
  return { worker, rpc, reports, failures };
}

it('settles each call with its own reply, refusals reject, other messages reach onMessage', async () => {
  const { worker, rpc, reports } = open();
  const [a, b] = await Promise.all([rpc.call({ n: 1 }), rpc.call({ n: 2 })]);
  expect([a.value, b.value]).toEqual([2, 4]);
  await expect(rpc.call({ n: -1 })).rejects.toThrow('refused: negative');
  expect(reports).toContainEqual({ report: 2 });
  await worker.terminate();
});

it('a thread that fails rejects pending and later calls, and reports the failure once', async () => {
  const { rpc, failures } = open();
  await expect(rpc.call({ crash: true })).rejects.toThrow('dead: boom');
  await expect(rpc.call({ n: 1 })).rejects.toThrow('dead: boom');
  await new Promise((r) => setTimeout(r, 50));
  expect(failures.map((f) => f.message)).toEqual(['boom']);
});
