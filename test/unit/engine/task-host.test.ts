/**
 * The TaskHost's contract with its tasks, through the test driver (wall time moved by hand):
 * init offsets and redeliveries, event time, wall-clock and stream-time punctuation (and the
 * wall-clock turns across tasks), pause/resume, committed offsets, revocation.
 */
import { describe, expect, it } from 'vitest';
import type { PunctuationType, Task, TaskContext } from '../../../src/engine/task.ts';
import type { LogEntry } from '../../../src/ports/log.ts';
import { entry, TaskTestDriver } from '../../support/task-driver.ts';

/** A task that records what the host does to it; `schedules` are asked for in `init`. */
class Recorder implements Task {
  ctx!: TaskContext;
  readonly processed: number[] = [];
  readonly punctuations: { type: PunctuationType; time: number; wall: number; event: number }[] = [];
  closed = false;
  readonly offset: number;
  readonly schedules: [PunctuationType, number][];
  readonly onPunctuate: ((r: Recorder) => Promise<void>) | undefined;
  constructor(
    offset = 0,
    schedules: [PunctuationType, number][] = [],
    onPunctuate?: (r: Recorder) => Promise<void>,
  ) {
    this.offset = offset;
    this.schedules = schedules;
    this.onPunctuate = onPunctuate;
  }
  async init(ctx: TaskContext): Promise<number> {
    this.ctx = ctx;
    for (const [type, every] of this.schedules) ctx.schedule(type, every);
    return this.offset;
  }
  process(e: LogEntry): void {
    this.processed.push(e.offset);
  }
  async punctuate(type: PunctuationType, time: number): Promise<void> {
    this.punctuations.push({ type, time, wall: this.ctx.wallTime(), event: this.ctx.eventTime() });
    await this.onPunctuate?.(this);
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Entries first..last, one point each of series 1 at ts = 1000 * offset. */
const run = (first: number, last: number): LogEntry[] =>
  Array.from({ length: last - first + 1 }, (_, i) => entry(first + i, [[1, 1000 * (first + i), i]]));

describe('TaskHost', () => {
  it('delivers the entries after the offset init returned, each once, in order', async () => {
    const d = new TaskTestDriver(() => new Recorder(3));
    expect(await d.assign(0)).toEqual([3]);
    await d.pipe(0, run(1, 5));
    await d.pipe(0, run(4, 7)); // a redelivery overlapping what was accepted
    expect(d.task().processed).toEqual([4, 5, 6, 7]);
    expect(d.host.offsetOf(0)).toBe(7);
    expect(d.host.acceptedPoints()).toBe(4);
    expect(d.host.lagPoints()).toBe(0);
  });

  it('keeps event time as the newest point timestamp processed', async () => {
    const d = new TaskTestDriver(() => new Recorder());
    await d.assign(0);
    expect(d.task().ctx.eventTime()).toBe(Number.NEGATIVE_INFINITY);
    await d.pipe(0, [
      entry(1, [
        [1, 5000, 0],
        [2, 7000, 0],
      ]),
      entry(2, [[1, 6000, 0]]),
    ]);
    expect(d.task().ctx.eventTime()).toBe(7000); // a late point does not move it back
  });

  it('fires a wall-clock punctuation each interval of wall time, only as wall time moves', async () => {
    const d = new TaskTestDriver(() => new Recorder(0, [['wall-clock', 1000]]), { wallTime: 50 });
    await d.assign(0);
    await d.pipe(0, run(1, 100)); // event time races ahead; wall time does not move
    expect(d.task().punctuations).toEqual([]);
    await d.advanceWallTime(999);
    expect(d.task().punctuations).toEqual([]);
    await d.advanceWallTime(1);
    await d.advanceWallTime(2500); // two more fall due within it, each at its own time
    expect(d.task().punctuations.map((p) => [p.type, p.time, p.wall])).toEqual([
      ['wall-clock', 1050, 1050],
      ['wall-clock', 2050, 2050],
      ['wall-clock', 3050, 3050],
    ]);
  });

  it('takes wall-clock turns across tasks of one interval: one every interval / n, each once per interval', async () => {
    const d = new TaskTestDriver((p) => new Recorder(0, p === 3 ? [] : [['wall-clock', 900]]));
    await d.assign(2, 0, 1, 3); // 3 schedules nothing
    const fired: [number, number][] = [];
    for (let i = 0; i < 6; i++) {
      await d.advanceWallTime(300);
      for (const p of [0, 1, 2, 3]) for (const x of d.task(p).punctuations.splice(0)) fired.push([p, x.wall]);
    }
    // The first turn comes an interval after the round started (with one member); then every 300 ms.
    expect(fired).toEqual([
      [0, 900],
      [1, 1200],
      [2, 1500],
      [0, 1800],
    ]);
    // A revoked task leaves the round: the other two now take turns every 450 ms.
    await d.host.revoke([0]);
    await d.advanceWallTime(900);
    const after = [1, 2].flatMap((p) => d.task(p).punctuations.map((x) => [p, x.wall]));
    expect(after.sort((a, b) => a[1]! - b[1]!)).toEqual([
      [1, 2100],
      [2, 2550],
    ]);
  });

  it('fires a stream-time punctuation at the first entry and whenever event time moved by the interval', async () => {
    const d = new TaskTestDriver(() => new Recorder(0, [['stream-time', 2500]]));
    await d.assign(0);
    await d.pipe(0, run(1, 7)); // ts 1000 … 7000
    await d.advanceWallTime(60_000); // wall time plays no part
    const p = d.task().punctuations;
    expect(p.map((x) => [x.type, x.time, x.event])).toEqual([
      ['stream-time', 1000, 1000],
      ['stream-time', 4000, 4000],
      ['stream-time', 7000, 7000],
    ]);
  });

  it('processes nothing while a task is paused, and catches up on resume', async () => {
    const d = new TaskTestDriver(() => new Recorder());
    await d.assign(0);
    d.task().ctx.pause();
    d.host.deliver(0, run(1, 3));
    for (let i = 0; i < 5; i++) await d.time.defer();
    expect(d.task().processed).toEqual([]);
    expect(d.host.lagPoints()).toBe(3);
    d.task().ctx.resume();
    await d.settle();
    expect(d.task().processed).toEqual([1, 2, 3]);
  });

  it('passes committed offsets on, and reports a failed punctuation', async () => {
    const d = new TaskTestDriver(
      () =>
        new Recorder(0, [['wall-clock', 100]], async (r) => {
          if (r.punctuations.length === 2) throw new Error('store down');
          await r.ctx.committed(r.processed.at(-1) ?? 0);
        }),
    );
    await d.assign(0);
    await d.pipe(0, run(1, 4));
    await d.advanceWallTime(100);
    await d.pipe(0, run(5, 6));
    await d.advanceWallTime(100);
    await d.advanceWallTime(100);
    expect(d.committed).toEqual([
      { partition: 0, offset: 4 },
      { partition: 0, offset: 6 },
    ]);
    expect(d.failures.map((f) => (f.err as Error).message)).toEqual(['store down']);
  });

  it('revoking a partition processes what it accepted, closes its task and stops its punctuations', async () => {
    const d = new TaskTestDriver(() => new Recorder(0, [['wall-clock', 100]]));
    await d.assign(0);
    const task = d.task();
    d.host.deliver(0, run(1, 3));
    expect(await d.host.revoke([0])).toEqual([task]);
    expect(task.processed).toEqual([1, 2, 3]);
    expect(task.closed).toBe(true);
    expect(d.time.pendingTimers).toBe(0);
    d.host.deliver(0, run(4, 4)); // no longer hosted: ignored
    expect(d.host.acceptedPoints()).toBe(3);
  });
});
