/**
 * The goals `vigil bench kafka` prints (issue 19 item 3): which cases judge which goal, and the
 * verdicts at and around each bound.
 */
import { describe, expect, it } from 'vitest';
import { goalsOf } from '../../../../src/cli/bench/kafka-goals.ts';
import type { LatencyCase, TransportCase } from '../../../../src/cli/bench/kafka-latency-case.ts';
import type { SustainedCase } from '../../../../src/cli/bench/kafka-sustained-case.ts';

const latency = (at: number, p99: number, over: Partial<LatencyCase> = {}): LatencyCase =>
  ({
    case: 'latency-default-checkpoint',
    atMessagesPerSec: at,
    p99Ms: p99,
    valid: true,
    missed: 0,
    ...over,
  }) as LatencyCase;
const transport = (at: number, p99: number): TransportCase =>
  ({ case: 'transport', transportMessagesPerSec: at, p99Ms: p99, valid: true }) as TransportCase;
const sustained = (rate: number): SustainedCase => ({
  case: 'sustained',
  sustainedMessagesPerSec: rate,
  checkpointIntervalMs: 5000,
  steps: [],
});

describe('goalsOf', () => {
  it('judges (b) against Kafka alone at the same rate, and names half the sustained rate', () => {
    const goals = goalsOf([sustained(20_000), latency(10_000, 150), transport(10_000, 100)]);
    expect(goals.map((g) => [g.goal.slice(0, 3), g.met])).toEqual([
      ['(a)', null],
      ['(b)', true],
    ]);
    expect(goals[0]!.measured).toBe('20,000 messages/s = points/s');
    expect(goals[1]!.goal).toContain('(half the sustained rate)');
    expect(goalsOf([latency(10_000, 150.1), transport(10_000, 100)])[0]!.met).toBe(false);
  });

  it('has no (b) without a transport run at that rate; (c) only at 5,000 messages/s', () => {
    expect(goalsOf([latency(10_000, 10), transport(9_999, 5)])).toEqual([]);
    const at5000 = goalsOf([latency(5_000, 50)]);
    expect(at5000.map((g) => [g.goal.slice(0, 3), g.met])).toEqual([['(c)', true]]);
    expect(goalsOf([latency(5_000, 50.5)])[0]!.met).toBe(false);
  });

  it('does not meet a goal with failed sends or missed probes, nor (a) when no rate held', () => {
    expect(goalsOf([latency(5_000, 10, { valid: false })])[0]!.met).toBe(false);
    expect(goalsOf([latency(5_000, 10, { missed: 1 })])[0]!.met).toBe(false);
    expect(goalsOf([sustained(0)])[0]).toMatchObject({ met: false, measured: 'no rate tried held' });
  });
});
