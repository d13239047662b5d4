/** lowerThreadPriority changes the nice value of the calling thread only (Linux). */
import { readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

const linux = process.platform === 'linux';

describe.runIf(linux)('lowerThreadPriority', () => {
  it("sets a worker thread's nice value and leaves the process's main thread alone", async () => {
    const before = getPriority(process.pid);
    const url = new URL('../../../../src/adapters/os/thread-priority.ts', import.meta.url).href;
    const worker = new Worker(
      `import(${JSON.stringify(url)}).then(({ lowerThreadPriority }) => {
        const { parentPort } = require('node:worker_threads');
        const set = lowerThreadPriority(7);
        const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
        parentPort.postMessage({ set, tid, now: require('node:os').getPriority(tid) });
      });`,
      { eval: true },
    );
    const got = await new Promise<{ set: number; tid: number; now: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(got.set).toBe(7);
    expect(got.now).toBe(7);
    const mainTid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    expect(got.tid).not.toBe(mainTid);
    expect(getPriority(process.pid)).toBe(before);
  });
});
