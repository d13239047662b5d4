/**
 * Issue 19 item 3's goals, judged from the cases a `vigil bench kafka` run measured: (a) the
 * sustained end-to-end rate (measured, no target of its own), (b) p99 point → anomaly stored ≤ Kafka
 * alone's p99 + 50 ms at the same rate, (c) p99 ≤ 50 ms at 5,000 messages/s. A latency run whose
 * generator failed sends or whose probes went missing does not meet a goal.
 */
import type { LatencyCase, TransportCase } from './kafka-latency-case.ts';
import type { SustainedCase } from './kafka-sustained-case.ts';
import type { ThroughputCase } from './kafka-throughput-case.ts';

const fmt = (x: number, digits = 0): string =>
  x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export interface Goal {
  goal: string;
  measured: string;
  /** null: measured, no target (the sustained rate is what the other goals are set against). */
  met: boolean | null;
}

/** The goals the run's cases measure: (a) the sustained rate, (b) and (c) the latency p99s. */
export function goalsOf(
  cases: readonly (ThroughputCase | LatencyCase | TransportCase | SustainedCase)[],
): Goal[] {
  const goals: Goal[] = [];
  const sustained = cases.find((c): c is SustainedCase => c.case === 'sustained');
  if (sustained !== undefined) {
    goals.push({
      goal: '(a) sustained end-to-end rate: every point scored and stored (InfluxDB + PostgreSQL), no growing lag',
      measured:
        sustained.sustainedMessagesPerSec > 0
          ? `${fmt(sustained.sustainedMessagesPerSec)} messages/s = points/s`
          : 'no rate tried held',
      met: sustained.sustainedMessagesPerSec > 0 ? null : false,
    });
  }
  const latency = cases.filter((c): c is LatencyCase => 'atMessagesPerSec' in c);
  const transport = cases.filter((c): c is TransportCase => 'transportMessagesPerSec' in c);
  for (const l of latency) {
    const t = transport.find((x) => x.transportMessagesPerSec === l.atMessagesPerSec);
    const half =
      sustained !== undefined && l.atMessagesPerSec === Math.round(sustained.sustainedMessagesPerSec / 2);
    if (t !== undefined && l.p99Ms !== null && t.p99Ms !== null) {
      goals.push({
        goal: `(b) p99 point → anomaly stored ≤ Kafka alone's p99 + 50 ms, at ${fmt(l.atMessagesPerSec)} messages/s${half ? ' (half the sustained rate)' : ''}, ${l.case}`,
        measured: `${fmt(l.p99Ms, 1)} ms vs ${fmt(t.p99Ms, 1)} + 50 = ${fmt(t.p99Ms + 50, 1)} ms${l.valid && t.valid ? '' : ' (sends failed: not of that rate)'}`,
        met: l.valid && t.valid && l.missed === 0 && l.p99Ms <= t.p99Ms + 50,
      });
    }
    if (l.atMessagesPerSec === 5_000 && l.p99Ms !== null) {
      goals.push({
        goal: `(c) p99 point → anomaly stored ≤ 50 ms at 5,000 messages/s, ${l.case}`,
        measured: `${fmt(l.p99Ms, 1)} ms${t?.p99Ms != null ? ` (Kafka alone: ${fmt(t.p99Ms, 1)} ms)` : ''}`,
        met: l.valid && l.missed === 0 && l.p99Ms <= 50,
      });
    }
  }
  return goals;
}
