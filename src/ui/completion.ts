/**
 * Completion for the series selector (`cpu{host="a",region=~"eu.*"}`), from the tenant's series
 * list: metric names before `{`, label names after `{` or `,`, and a label's values after its
 * operator. Each suggestion is the whole selector text, as a datalist option must be.
 */
import type { SeriesInfo } from './types.ts';

export interface SelectorIndex {
  metrics: string[];
  /** metric → label → values. */
  labels: Map<string, Map<string, Set<string>>>;
}

export function buildIndex(series: SeriesInfo[]): SelectorIndex {
  const labels = new Map<string, Map<string, Set<string>>>();
  for (const s of series) {
    const byLabel = labels.get(s.metric) ?? new Map<string, Set<string>>();
    labels.set(s.metric, byLabel);
    for (const [k, v] of Object.entries(s.tags)) {
      const values = byLabel.get(k) ?? new Set<string>();
      byLabel.set(k, values);
      values.add(v);
    }
  }
  return { metrics: [...labels.keys()].sort(), labels };
}

/** Label → values over the metric's series, or over every series when the metric is empty. */
function labelsOf(index: SelectorIndex, metric: string): Map<string, Set<string>> {
  if (metric !== '') return index.labels.get(metric) ?? new Map();
  const all = new Map<string, Set<string>>();
  for (const byLabel of index.labels.values()) {
    for (const [k, vs] of byLabel) {
      const set = all.get(k) ?? new Set();
      for (const v of vs) set.add(v);
      all.set(k, set);
    }
  }
  return all;
}

export function suggest(text: string, index: SelectorIndex, max = 50): string[] {
  const brace = text.indexOf('{');
  if (brace < 0) return index.metrics.filter((m) => m.startsWith(text)).slice(0, max);
  if (text.includes('}')) return [];
  const metric = text.slice(0, brace).trim();
  const labels = labelsOf(index, metric);
  const cut = Math.max(brace, text.lastIndexOf(',')) + 1;
  // The typed text stays a prefix of every suggestion (spaces included): datalists match on it.
  const fragment = text.slice(cut).trimStart();
  const head = text.slice(0, text.length - fragment.length);
  const op = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*)$/.exec(fragment);
  if (op === null) {
    return [...labels.keys()]
      .filter((l) => l.startsWith(fragment))
      .sort()
      .slice(0, max)
      .map((l) => `${head}${l}=`);
  }
  const [, label, operator, typed] = op as unknown as [string, string, string, string];
  return [...(labels.get(label) ?? [])]
    .filter((v) => v.startsWith(typed))
    .sort()
    .slice(0, max)
    .map((v) => `${head}${label}${operator}"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"}`);
}
