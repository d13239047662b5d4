/**
 * Runs generated scenarios through the incident grouper and scores it: grouping precision, recall
 * and F1 over anomaly pairs (a pair is "together" in truth when both belong to one fault; noise is
 * alone), and whether the faulted service is the top root-cause candidate (top 1) or among the
 * first three (top 3) of the incident holding most of that fault's anomalies, as ranked when the
 * incident resolved.
 *
 * Each anomaly reaches the grouper as two changes, open at its start and closed at its end, in
 * series time, with a tick every `tickMs`; `nowMs` is series time.
 */
import type { AnomalyChange, Incident } from '../../alerting/incident.ts';
import { IncidentGrouper } from '../../alerting/incidents.ts';
import { type AlertRule, compileRule, parseAlertRule } from '../../alerting/rule.ts';
import { generateScenario, type Scenario, type ScenarioParams } from './scenario.ts';

export interface IncidentBenchResult {
  scenarios: number;
  anomalies: number;
  faults: number;
  incidents: number;
  pairs: { truePositive: number; falsePositive: number; falseNegative: number };
  precision: number;
  recall: number;
  f1: number;
  rootCauseTop1: number;
  rootCauseTop3: number;
}

export const BENCH_RULE: Partial<AlertRule> = {
  name: 'bench',
  match: '{service=~".+"}',
  groupGapMs: 300_000,
  resolveTimeoutMs: 300_000,
  dependencyLabel: 'depends_on',
  identityLabel: 'service',
};

const TICK_MS = 30_000;

/** The incidents a scenario ends in (every one resolved), and which incident each anomaly joined. */
export function groupScenario(s: Scenario, rule: Partial<AlertRule> = BENCH_RULE) {
  const g = new IncidentGrouper();
  g.setRules('default', [compileRule(parseAlertRule(rule))]);
  const events: { t: number; change: AnomalyChange }[] = [];
  for (const { change } of s.anomalies) {
    events.push({ t: change.start, change: { ...change, open: true, end: change.start } });
    events.push({ t: change.end, change });
  }
  events.sort((a, b) => a.t - b.t);
  const final = new Map<string, Incident>();
  const joined = new Map<string, string>();
  const keep = (list: Incident[]) => {
    for (const inc of list) {
      final.set(inc.id, inc);
      for (const m of inc.members) joined.set(m.id, inc.id);
    }
  };
  let nextTick = 0;
  const tickUntil = (t: number) => {
    for (; nextTick <= t; nextTick += TICK_MS) keep(g.tick(nextTick).incidents);
  };
  for (const e of events) {
    tickUntil(e.t);
    keep(g.process(e.change, e.t).incidents);
  }
  tickUntil((events.at(-1)?.t ?? 0) + 3_600_000);
  return { incidents: [...final.values()], joined };
}

export function runIncidentBench(
  scenarios: number,
  seed = 1,
  params?: ScenarioParams,
  rule?: Partial<AlertRule>,
): IncidentBenchResult {
  const pairs = { truePositive: 0, falsePositive: 0, falseNegative: 0 };
  let anomalies = 0;
  let faults = 0;
  let incidents = 0;
  let top1 = 0;
  let top3 = 0;
  for (let i = 0; i < scenarios; i++) {
    const s = generateScenario(seed * 1_000_003 + i, params);
    const run = groupScenario(s, rule);
    anomalies += s.anomalies.length;
    incidents += run.incidents.length;
    const list = s.anomalies.map((a) => ({ fault: a.fault, incident: run.joined.get(a.change.id) }));
    for (let x = 0; x < list.length; x++) {
      for (let y = x + 1; y < list.length; y++) {
        const a = list[x]!;
        const b = list[y]!;
        const truth = a.fault >= 0 && a.fault === b.fault;
        const said = a.incident !== undefined && a.incident === b.incident;
        if (truth && said) pairs.truePositive++;
        else if (said) pairs.falsePositive++;
        else if (truth) pairs.falseNegative++;
      }
    }
    const byId = new Map(run.incidents.map((inc) => [inc.id, inc]));
    s.roots.forEach((root, f) => {
      faults++;
      const votes = new Map<string, number>();
      for (const a of list)
        if (a.fault === f && a.incident !== undefined)
          votes.set(a.incident, (votes.get(a.incident) ?? 0) + 1);
      const best = [...votes].sort((p, q) => q[1] - p[1])[0]?.[0];
      const ranked = best === undefined ? [] : byId.get(best)!.rootCauses;
      const services = ranked.map((c) => serviceOf(c.seriesKey));
      if (services[0] === root) top1++;
      if (services.slice(0, 3).includes(root)) top3++;
    });
  }
  const { truePositive: tp, falsePositive: fp, falseNegative: fn } = pairs;
  const precision = tp + fp === 0 ? 1 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 1 : tp / (tp + fn);
  return {
    scenarios,
    anomalies,
    faults,
    incidents,
    pairs,
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    rootCauseTop1: faults === 0 ? 0 : top1 / faults,
    rootCauseTop3: faults === 0 ? 0 : top3 / faults,
  };
}

const serviceOf = (key: string): string => /service="([^"]*)"/.exec(key)?.[1] ?? '';
