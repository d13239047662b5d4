/** MaintenancePoll: resolves windows against the catalog only when windows or series changed. */
import { describe, expect, it } from 'vitest';
import { MaintenancePoll } from '../../../src/app/maintenance-poll.ts';
import type { MaintenanceWindow } from '../../../src/core/alerting/maintenance.ts';
import type { Silence } from '../../../src/core/alerting/silences.ts';

const window = (id: string, kind: Silence['kind'] = 'maintenance'): Silence => ({
  id,
  tenant: 'default',
  match: 'cpu',
  startsAt: 0,
  endsAt: 1000,
  kind,
  comment: '',
  createdBy: 't',
  createdMs: 0,
});

function harness() {
  const state = {
    silences: [] as Silence[],
    series: [{ id: 1, metric: 'cpu', tags: {} }],
    catalogReads: 0,
    applied: [] as Map<number, MaintenanceWindow[]>[],
  };
  const poll = new MaintenancePoll({
    silences: async () => state.silences,
    seriesCount: async () => state.series.length,
    series: async () => {
      state.catalogReads++;
      return state.series;
    },
    apply: async (w) => {
      state.applied.push(w);
    },
    now: () => 0,
    failed: () => {},
  });
  return { state, poll };
}

describe('MaintenancePoll', () => {
  it('with no window, applies the empty set once and never reads the catalog', async () => {
    const { state, poll } = harness();
    state.silences = [window('s', 'silence')];
    expect(await poll.poll()).toBe(true);
    expect(await poll.poll()).toBe(false);
    expect(state.catalogReads).toBe(0);
    expect(state.applied).toEqual([new Map()]);
  });

  it('resolves again when a window or the series count changes, not otherwise', async () => {
    const { state, poll } = harness();
    state.silences = [window('a')];
    expect(await poll.poll()).toBe(true);
    expect(await poll.poll()).toBe(false);
    state.series.push({ id: 2, metric: 'cpu', tags: {} });
    expect(await poll.poll()).toBe(true);
    expect([...poll.current.keys()]).toEqual([1, 2]);
    state.silences = [];
    expect(await poll.poll()).toBe(true);
    expect(poll.current.size).toBe(0);
    expect(state.catalogReads).toBe(2);
  });

  it('a round asked for during another runs after it and sees the later windows', async () => {
    let windows: Silence[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let reads = 0;
    const poll = new MaintenancePoll({
      // The first round holds its (empty) read until released.
      silences: async () => {
        const seen = windows;
        if (reads++ === 0) await gate;
        return seen;
      },
      seriesCount: async () => 1,
      series: async () => [{ id: 1, metric: 'cpu', tags: {} }],
      apply: async () => {},
      now: () => 0,
      failed: () => {},
    });
    const first = poll.poll();
    await new Promise((r) => setImmediate(r));
    windows = [window('late')];
    const second = poll.poll();
    release();
    expect(await first).toBe(true);
    expect(poll.current.size).toBe(0);
    expect(await second).toBe(true);
    expect(poll.current.get(1)?.map((w) => w.id)).toEqual(['late']);
  });
});
