/**
 * Ranks the member series of an incident as root-cause candidates, each with the reasons for its
 * place. Only what the alerter sees is used (never ground truth):
 *
 *   - label relations (weight 0.5): a series whose `dependencyLabel` (comma-separated) names the
 *     `identityLabel` value of another member depends on it. A candidate scores by the share of the
 *     other members that depend on it, directly or through other members.
 *   - earliest onset (weight 0.3): 1 for the earliest start, 0 for the latest, linear between.
 *   - largest deviation (weight 0.2): |peak − expected| / max(|expected|, 1e-9) relative to the
 *     largest of the incident; a member without an expected value (NaN) scores by 0.
 *
 * A member that depends on an anomalous member has its whole score halved: the fault more likely
 * came from upstream, however early or far its own symptom showed. Ties break on the earlier onset, then the series key, so a ranking is deterministic.
 */

export interface RootCauseInput {
  seriesKey: string;
  tags: Readonly<Record<string, string>>;
  start: number;
  peakValue: number;
  peakExpected: number;
}

export interface RootCauseCandidate {
  seriesKey: string;
  rank: number;
  score: number;
  reasons: string[];
}

export interface RelationLabels {
  dependencyLabel: string;
  identityLabel: string;
}

const W_RELATION = 0.5;
const W_ONSET = 0.3;
const W_DEVIATION = 0.2;

/** Ranked candidates, one per series (its earliest anomaly), best first; at most `limit`. */
export function rankRootCauses(
  members: readonly RootCauseInput[],
  labels: RelationLabels,
  limit = 10,
): RootCauseCandidate[] {
  const bySeries = new Map<string, RootCauseInput & { deviation: number }>();
  for (const m of members) {
    const deviation = relativeDeviation(m.peakValue, m.peakExpected);
    const had = bySeries.get(m.seriesKey);
    if (had === undefined) bySeries.set(m.seriesKey, { ...m, deviation });
    else {
      if (m.start < had.start) had.start = m.start;
      if (deviation > had.deviation) had.deviation = deviation;
    }
  }
  const list = [...bySeries.values()];
  if (list.length === 0) return [];
  const deps = dependencies(list, labels);
  const earliest = Math.min(...list.map((m) => m.start));
  const latest = Math.max(...list.map((m) => m.start));
  const maxDev = Math.max(0, ...list.map((m) => m.deviation));
  const scored = list.map((m, i) => {
    const reasons: string[] = [];
    const downstream = dependantsOf(i, deps);
    const upstream = deps[i]!;
    const relation = list.length > 1 ? downstream.size / (list.length - 1) : 0;
    if (downstream.size > 0) {
      reasons.push(`${downstream.size} other member(s) depend on it (${labels.dependencyLabel})`);
    }
    if (upstream.size > 0) {
      const names = [...upstream].map((j) => list[j]!.seriesKey).join(', ');
      reasons.push(`depends on anomalous ${names}`);
    }
    const onset = latest === earliest ? 1 : (latest - m.start) / (latest - earliest);
    if (m.start === earliest) reasons.push(`earliest onset (${new Date(m.start).toISOString()})`);
    else reasons.push(`onset ${m.start - earliest} ms after the earliest`);
    const deviation = maxDev > 0 ? m.deviation / maxDev : 0;
    if (!Number.isFinite(m.peakExpected)) reasons.push('no expected value: deviation unknown');
    else if (m.deviation === maxDev && maxDev > 0)
      reasons.push(`largest deviation (${fmt(m.deviation)}× expected)`);
    else reasons.push(`deviation ${fmt(m.deviation)}× expected`);
    const own = W_RELATION * relation + W_ONSET * onset + W_DEVIATION * deviation;
    const score = upstream.size > 0 ? own / 2 : own;
    return { seriesKey: m.seriesKey, start: m.start, score, reasons };
  });
  scored.sort((a, b) => b.score - a.score || a.start - b.start || (a.seriesKey < b.seriesKey ? -1 : 1));
  return scored.slice(0, limit).map((c, i) => ({
    seriesKey: c.seriesKey,
    rank: i + 1,
    score: Math.round(c.score * 1000) / 1000,
    reasons: c.reasons,
  }));
}

function relativeDeviation(value: number, expected: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(expected)) return 0;
  return Math.abs(value - expected) / Math.max(Math.abs(expected), 1e-9);
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toPrecision(2));

/** For each member, the indices of the other members it names in its dependency label. */
function dependencies(list: readonly RootCauseInput[], labels: RelationLabels): Set<number>[] {
  const byIdentity = new Map<string, number[]>();
  list.forEach((m, i) => {
    const id = m.tags[labels.identityLabel];
    if (id === undefined) return;
    const at = byIdentity.get(id);
    if (at === undefined) byIdentity.set(id, [i]);
    else at.push(i);
  });
  return list.map((m, i) => {
    const out = new Set<number>();
    const named = m.tags[labels.dependencyLabel];
    if (named === undefined) return out;
    for (const name of named.split(',')) {
      for (const j of byIdentity.get(name.trim()) ?? []) if (j !== i) out.add(j);
    }
    return out;
  });
}

/** Members that depend on `i`, directly or through other members. */
function dependantsOf(i: number, deps: readonly Set<number>[]): Set<number> {
  const found = new Set<number>();
  const frontier = [i];
  while (frontier.length > 0) {
    const at = frontier.pop()!;
    deps.forEach((d, j) => {
      if (j !== i && d.has(at) && !found.has(j)) {
        found.add(j);
        frontier.push(j);
      }
    });
  }
  return found;
}
