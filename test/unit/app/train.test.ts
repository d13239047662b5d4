/**
 * `runTraining`'s logic against an in-memory registry and history (stand-ins for a unit test; the
 * real files registry and MLflow are in test/integration/train.test.ts): gated promotion, the
 * candidate tag, tracking runs, unknown models and aliases, and `train` on real worker threads.
 */
import { describe, expect, it } from 'vitest';
import { runTraining } from '../../../src/app/train.ts';
import { train } from '../../../src/app/training.ts';
import { VigilError } from '../../../src/core/errors.ts';
import type { TrainingLabel, TrainingSeries } from '../../../src/core/models/backtest.ts';
import { decodeModelSpec } from '../../../src/core/models/model.ts';
import { PRESETS } from '../../../src/core/pipeline/presets.ts';
import { matches, parseSelector } from '../../../src/core/selector.ts';
import type { ModelRegistry, ModelVersion, TrackingRun } from '../../../src/ports/model-registry.ts';
import type { TrainingHistory } from '../../../src/ports/training-history.ts';

const MIN = 60_000;
const T0 = 1_760_000_000_000;

class MemoryRegistry implements ModelRegistry {
  readonly description = 'memory';
  readonly runs: {
    id: string;
    name: string;
    tags: Record<string, string>;
    params: Record<string, string>;
    metrics: Record<string, number>;
    artifacts: string[];
    status?: string;
  }[] = [];
  readonly store = new Map<
    string,
    { versions: ModelVersion[]; files: Map<string, Uint8Array>[]; aliases: Map<string, string> }
  >();
  async startRun(_e: string, name: string, tags: Record<string, string> = {}): Promise<TrackingRun> {
    const id = `r${this.runs.length}`;
    this.runs.push({ id, name, tags, params: {}, metrics: {}, artifacts: [] });
    return { id, experimentId: '0' };
  }
  #run(r: TrackingRun) {
    return this.runs.find((x) => x.id === r.id)!;
  }
  async logParams(r: TrackingRun, p: Record<string, string>) {
    Object.assign(this.#run(r).params, p);
  }
  async logMetrics(r: TrackingRun, m: Record<string, number>) {
    Object.assign(this.#run(r).metrics, m);
  }
  async logArtifact(r: TrackingRun, path: string) {
    this.#run(r).artifacts.push(path);
  }
  async endRun(r: TrackingRun, status: string) {
    this.#run(r).status = status;
  }
  async createVersion(
    name: string,
    files: ReadonlyMap<string, Uint8Array>,
    opts: { run?: TrackingRun; tags?: Record<string, string> } = {},
  ) {
    const m = this.store.get(name) ?? {
      versions: [] as ModelVersion[],
      files: [] as Map<string, Uint8Array>[],
      aliases: new Map<string, string>(),
    };
    this.store.set(name, m);
    const v: ModelVersion = {
      name,
      version: String(m.versions.length + 1),
      createdAt: 0,
      tags: { ...opts.tags },
      aliases: [],
      source: 'mem',
      ...(opts.run ? { runId: opts.run.id } : {}),
    };
    m.versions.push(v);
    m.files.push(new Map(files));
    return v;
  }
  async models() {
    return [...this.store.keys()].sort();
  }
  async versions(name: string) {
    const m = this.store.get(name);
    if (m === undefined) throw new VigilError('VIGIL_ERR_UNKNOWN_MODEL', `no model ${name}`);
    return m.versions.map((v) => this.#withAliases(v));
  }
  #withAliases(v: ModelVersion): ModelVersion {
    const m = this.store.get(v.name)!;
    return { ...v, aliases: [...m.aliases].filter(([, x]) => x === v.version).map(([a]) => a) };
  }
  async version(name: string, version: string) {
    const v = (await this.versions(name)).find((x) => x.version === version);
    if (v === undefined) throw new VigilError('VIGIL_ERR_UNKNOWN_MODEL', `no version ${name}/${version}`);
    return v;
  }
  async byAlias(name: string, alias: string) {
    const m = this.store.get(name);
    const v = m?.aliases.get(alias);
    return v === undefined ? undefined : this.#withAliases(m!.versions[Number(v) - 1]!);
  }
  async setAlias(name: string, alias: string, version: string) {
    await this.version(name, version);
    this.store.get(name)!.aliases.set(alias, version);
  }
  async deleteAlias(name: string, alias: string) {
    this.store.get(name)?.aliases.delete(alias);
  }
  async setVersionTag(name: string, version: string, k: string, v: string) {
    this.store.get(name)!.versions[Number(version) - 1]!.tags[k] = v;
  }
  async files(name: string, version: string) {
    await this.version(name, version);
    return new Map(this.store.get(name)!.files[Number(version) - 1]!);
  }
  async close() {}
}

function series(key: string, n: number, spikes: number[], labels: TrainingLabel[] = []): TrainingSeries {
  const values = Float64Array.from(
    { length: n },
    (_, i) => 10 + Math.sin(i / 9) + (spikes.includes(i) ? 40 : 0),
  );
  return { key, ts: Float64Array.from({ length: n }, (_, i) => T0 + i * MIN), values, labels };
}

class MemoryHistory implements TrainingHistory {
  readonly description = 'memory history';
  readonly data: TrainingSeries[];
  constructor(data: TrainingSeries[]) {
    this.data = data;
  }
  async series(selector: string) {
    const sel = parseSelector(selector);
    return this.data.filter((s) => matches(sel, s.key.replace(/\{.*$/, ''), {})).map((s) => s.key);
  }
  async points(key: string, from: number, to: number) {
    const s = this.data.find((x) => x.key === key)!;
    const keep = [...s.ts.keys()].filter((i) => s.ts[i]! >= from && s.ts[i]! < to);
    return {
      ts: Float64Array.from(keep, (i) => s.ts[i]!),
      values: Float64Array.from(keep, (i) => s.values[i]!),
    };
  }
  async labels() {
    return new Map(this.data.filter((s) => s.labels.length > 0).map((s) => [s.key, [...s.labels]]));
  }
}

const anomaly = (row: number): TrainingLabel => ({
  label: 'anomaly',
  start: T0 + row * MIN,
  end: T0 + row * MIN,
});
const data = [
  series('cpu_a', 3000, [1500, 2400], [anomaly(1500), anomaly(2400)]),
  series('cpu_b', 3000, [2000]),
];
const base = {
  model: 'cpu',
  from: 0,
  to: T0 + 1e10,
  budget: 4,
  families: ['windowed-gaussian', 'robust-z'],
  experiment: 'vigil',
  maxSeries: 100,
  engineDefault: PRESETS.get('fast')!,
  workers: 2,
  now: T0,
};

describe('runTraining', () => {
  it('registers the winner, moves production to it, and a retraining that cannot beat it is a candidate', async () => {
    const registry = new MemoryRegistry();
    const history = new MemoryHistory(data);
    const first = await runTraining({ history, registry }, { ...base, selector: 'cpu_a' });
    expect(first.promoted).toBe(true);
    expect(first.version.version).toBe('1');
    expect((await registry.byAlias('cpu', 'production'))?.version).toBe('1');
    const spec = decodeModelSpec((await registry.files('cpu', '1')).get('model.json')!, 'v1');
    expect(spec).toMatchObject({
      name: 'cpu',
      selector: 'cpu_a',
      report: { objective: 'feedback-nab', candidates: 4, series: 1, labels: 2 },
    });
    expect([...(await registry.files('cpu', '1')).keys()].sort()).toEqual([
      'backtest.svg',
      'model.json',
      'report.json',
    ]);
    // A parent run and one child run per candidate, each with the pipeline and its plot.
    const children = registry.runs.filter((r) => r.tags['vigil.role'] === 'candidate');
    expect(children).toHaveLength(4);
    for (const c of children) {
      expect(c.status).toBe('FINISHED');
      expect(c.artifacts).toEqual(['pipeline.json', 'backtest.svg']);
      expect(c.params['detector.name']).toBeDefined();
      expect(typeof c.metrics.objective).toBe('number');
      expect(c.tags['mlflow.parentRunId']).toBe(registry.runs[0]!.id);
    }
    const winner = (spec.report!.winner as { candidate: number }).candidate;
    expect(first.version.runId).toBe(children.find((c) => c.name === `cpu-c00${winner}`)?.id);

    // No selector: the production version's. Same data, same candidates: a tie, not a win.
    const second = await runTraining({ history, registry }, base);
    expect(second.promoted).toBe(false);
    expect(second.spec.selector).toBe('cpu_a');
    expect(second.spec.report?.productionScore).toBe(first.spec.report?.score);
    expect((await registry.byAlias('cpu', 'production'))?.version).toBe('1');
    expect((await registry.version('cpu', '2')).tags.candidate).toBe('true');
  }, 120_000);

  it('refuses an unknown model without a selector, an unknown alias, and a selector matching nothing', async () => {
    const registry = new MemoryRegistry();
    const history = new MemoryHistory(data);
    await expect(runTraining({ history, registry }, base)).rejects.toMatchObject({
      code: 'VIGIL_ERR_UNKNOWN_MODEL',
      message: expect.stringMatching(/unknown model "cpu".*--selector/),
    });
    await expect(
      runTraining({ history, registry }, { ...base, selector: 'cpu_a', candidateFrom: ['other@production'] }),
    ).rejects.toMatchObject({
      code: 'VIGIL_ERR_UNKNOWN_MODEL',
      message: expect.stringMatching(/"other" has no alias "production"/),
    });
    await expect(
      runTraining({ history, registry }, { ...base, selector: 'cpu_a', candidateFrom: ['bad ref'] }),
    ).rejects.toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST' });
    await expect(runTraining({ history, registry }, { ...base, selector: 'nothing' })).rejects.toMatchObject({
      code: 'VIGIL_ERR_BAD_REQUEST',
      message: expect.stringMatching(/matches no series/),
    });
    await expect(runTraining({ history, registry }, { ...base, selector: 'cpu{' })).rejects.toMatchObject({
      code: 'VIGIL_ERR_BAD_REQUEST',
      location: { field: 'selector' },
    });
    expect(registry.store.size).toBe(0);
  });
});

describe('train', () => {
  it('gives the same results on 1 and 3 worker threads, and uses the alert-rate objective without labels', async () => {
    const unlabelled = data.map((s) => ({ ...s, labels: [] }));
    const opts = { budget: 5, engineDefault: PRESETS.get('fast')!, families: ['ewma', 'robust-z'] };
    const one = await train(unlabelled, { ...opts, workers: 1 });
    const three = await train(unlabelled, { ...opts, workers: 3 });
    expect(one.objective).toBe('alert-rate');
    expect(three.results.map((r) => r.result)).toEqual(one.results.map((r) => r.result));
    expect(three.results.map((r) => r.backtest)).toEqual(one.results.map((r) => r.backtest));
    expect(one.winner.result.score).toBe(Math.max(...one.results.map((r) => r.result.score)));
    expect(one.points).toBe(6000);
  }, 120_000);
});
