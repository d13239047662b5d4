/**
 * How Vigil's scored series look to Prometheus (remote_read, so Grafana can chart them through a
 * Prometheus data source). Each Vigil series `metric{tags}` is six Prometheus series, one per
 * column of its scored points; the derived ones use vmanomaly's names and its `for` label (the
 * metric they belong to), so dashboards written for vmanomaly's output read Vigil's too:
 *
 *   value        metric{tags}
 *   score        anomaly_score{for="metric", tags}
 *   expected     yhat{for="metric", tags}
 *   lower        yhat_lower{for="metric", tags}
 *   upper        yhat_upper{for="metric", tags}
 *   anomalous    anomalous{for="metric", tags}   (1 or 0; vmanomaly has no such series)
 *
 * A point whose expected value or band is unknown (NaN) has no sample in those series. A series
 * that has a `for` tag of its own shows it on its value series only.
 */
import type { ScoredPoint } from './point.ts';
import { matches, type Selector } from './selector.ts';
import type { Tags } from './series.ts';

export interface PrometheusFamily {
  /** `__name__` of the derived series; undefined: the series' own metric name. */
  name?: string;
  /** The column of the scored point it carries. */
  sample: (p: ScoredPoint) => number;
}

export const FOR_LABEL = 'for';

export const PROMETHEUS_FAMILIES: readonly PrometheusFamily[] = [
  { sample: (p) => p.value },
  { name: 'anomaly_score', sample: (p) => p.score },
  { name: 'yhat', sample: (p) => p.expected },
  { name: 'yhat_lower', sample: (p) => p.lower },
  { name: 'yhat_upper', sample: (p) => p.upper },
  { name: 'anomalous', sample: (p) => (p.anomalous ? 1 : 0) },
];

/** The labels (with `__name__`) of family `f` of the series `metric{tags}`. */
export function familyLabels(f: PrometheusFamily, metric: string, tags: Tags): Record<string, string> {
  return f.name === undefined
    ? { __name__: metric, ...tags }
    : { __name__: f.name, ...tags, [FOR_LABEL]: metric };
}

/** The families of `metric{tags}` that `sel` (Prometheus label matchers) selects. */
export function selectedFamilies(sel: Selector, metric: string, tags: Tags): PrometheusFamily[] {
  return PROMETHEUS_FAMILIES.filter((f) => {
    const { __name__: name, ...labels } = familyLabels(f, metric, tags);
    return matches(sel, name!, labels);
  });
}

/** The samples of one family over `points` (ascending ts), leaving out unknown (NaN) values. */
export function familySamples(
  f: PrometheusFamily,
  points: readonly ScoredPoint[],
): { ts: number; value: number }[] {
  const out: { ts: number; value: number }[] = [];
  for (const p of points) {
    const v = f.sample(p);
    if (!Number.isNaN(v)) out.push({ ts: p.ts, value: v });
  }
  return out;
}
