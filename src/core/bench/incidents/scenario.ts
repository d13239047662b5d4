/**
 * A seeded generator of incident scenarios for `vigil bench incidents`: services in a dependency
 * graph (each series tagged `service` and `depends_on`, the services it calls), faults injected at
 * one service that spread with delays to the services depending on it, and unrelated noise
 * anomalies. Each anomaly carries its truth (which fault, or none) for scoring; the grouper never
 * sees it.
 */
import type { AnomalyChange } from '../../alerting/incident.ts';
import { Prng } from '../../math/prng.ts';

export interface ScenarioParams {
  services: number;
  /** Probability that a service also calls a second, earlier service. */
  secondDependency: number;
  faults: number;
  /** Series time of one scenario; faults are spread over it, at least `faultSpacingMs` apart. */
  horizonMs: number;
  faultSpacingMs: number;
  /** Probability that a fault reaches a service depending on an affected one. */
  spread: number;
  /** Delay per hop of the spread: uniform in [min, max]. */
  hopDelayMs: readonly [number, number];
  /** Noise anomalies per hour over the whole system. */
  noisePerHour: number;
}

export const DEFAULT_SCENARIO: ScenarioParams = {
  services: 16,
  secondDependency: 0.2,
  faults: 3,
  horizonMs: 6 * 3_600_000,
  faultSpacingMs: 45 * 60_000,
  spread: 0.85,
  hopDelayMs: [15_000, 120_000],
  noisePerHour: 3,
};

export const METRICS = ['latency', 'errors', 'saturation'] as const;

export interface TruthAnomaly {
  change: AnomalyChange;
  /** Index of the fault it belongs to, -1 for noise. */
  fault: number;
}

export interface Scenario {
  anomalies: TruthAnomaly[];
  /** The service each fault was injected at. */
  roots: string[];
}

export function generateScenario(seed: number, p: ScenarioParams = DEFAULT_SCENARIO): Scenario {
  const rng = new Prng(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng.next();
  const int = (n: number) => Math.floor(rng.next() * n);
  const names = Array.from({ length: p.services }, (_, i) => `svc${i}`);
  // Service i calls one earlier service (and sometimes a second): a DAG rooted at svc0.
  const calls: number[][] = names.map((_, i) => {
    if (i === 0) return [];
    const first = int(i);
    const second = i > 1 && rng.next() < p.secondDependency ? int(i) : first;
    return second === first ? [first] : [first, second];
  });
  const dependants = names.map((_, i) => calls.flatMap((c, j) => (c.includes(i) ? [j] : [])));
  const anomalies: TruthAnomaly[] = [];
  let serial = 0;
  const emit = (
    service: number,
    metric: string,
    start: number,
    durationMs: number,
    dev: number,
    fault: number,
  ) => {
    const tags = { service: names[service]!, depends_on: calls[service]!.map((c) => names[c]).join(',') };
    const expected = uniform(50, 500);
    const up = rng.next() < 0.8;
    anomalies.push({
      fault,
      change: {
        id: `${serial++}-${start}`,
        tenant: 'default',
        seriesKey: `${metric}{depends_on="${tags.depends_on}",service="${tags.service}"}`,
        metric,
        tags,
        start,
        end: start + durationMs,
        open: false,
        peakScore: uniform(0.99, 1),
        peakValue: expected * (1 + (up ? dev : -Math.min(dev, 0.95))),
        peakExpected: expected,
        direction: up ? 'up' : 'down',
      },
    });
  };
  const roots: string[] = [];
  const slot = p.horizonMs / p.faults;
  for (let f = 0; f < p.faults; f++) {
    const root = int(p.services);
    roots.push(names[root]!);
    const t0 = Math.round(f * slot + uniform(0, Math.max(0, slot - p.faultSpacingMs)));
    // Breadth-first spread; a service is hit once, at its earliest arrival.
    const hitAt = new Map<number, number>([[root, t0]]);
    const queue = [root];
    while (queue.length > 0) {
      const at = queue.shift()!;
      for (const d of dependants[at]!) {
        if (hitAt.has(d) || rng.next() >= p.spread) continue;
        hitAt.set(d, hitAt.get(at)! + Math.round(uniform(p.hopDelayMs[0], p.hopDelayMs[1])));
        queue.push(d);
      }
    }
    for (const [service, t] of hitAt) {
      const isRoot = service === root;
      // The root shows in two metrics, a dependant in one or two; every symptom lasts minutes.
      const metrics = isRoot ? 2 : 1 + int(2);
      for (const metric of METRICS.slice(0, metrics)) {
        const jitter = Math.round(uniform(0, 20_000));
        emit(service, metric, t + jitter, Math.round(uniform(3, 12) * 60_000), uniform(0.5, 5), f);
      }
    }
  }
  let t = 0;
  for (;;) {
    t += Math.round((-Math.log(1 - rng.next()) / p.noisePerHour) * 3_600_000);
    if (t >= p.horizonMs) break;
    emit(
      int(p.services),
      METRICS[int(METRICS.length)]!,
      t,
      Math.round(uniform(1, 5) * 60_000),
      uniform(0.5, 5),
      -1,
    );
  }
  anomalies.sort((a, b) => a.change.start - b.change.start);
  return { anomalies, roots };
}
