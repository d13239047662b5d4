/**
 * ModelPoll's logic over a small in-memory registry (the real file registry and MLflow are in
 * test/integration/models-serve.test.ts and models-scaled.test.ts): switches on an alias move,
 * refuses a corrupt version naming its model.json and keeps the loaded one, keeps serving through
 * an outage (logged once), resolves new series, and the first-match rule across models.
 */
import { describe, expect, it } from 'vitest';
import { ModelPoll, type ModelPollEvents } from '../../../src/app/model-poll.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { VigilError } from '../../../src/core/errors.ts';
import { encodeModelSpec, MODEL_FILE, type ModelSpec } from '../../../src/core/models/model.ts';
import type { ModelAssignment } from '../../../src/core/models/serving.ts';
import { pipelinesOf } from '../../../src/core/pipeline/pipelines.ts';
import type { ModelRegistry, ModelVersion } from '../../../src/ports/model-registry.ts';

const spec = (name: string, selector: string, threshold: number): ModelSpec => ({
  format: 'vigil-model',
  formatVersion: 1,
  name,
  selector,
  pipeline: {
    name: `${name}-t${threshold}`,
    detector: { name: 'ewma' },
    calibration: { name: 'none' },
    threshold,
  },
});

/** Just what the poll calls: models, byAlias, files. */
class TinyRegistry {
  readonly description = 'tiny';
  down = false;
  readonly versions = new Map<string, Map<string, Uint8Array>[]>();
  readonly production = new Map<string, string>();

  add(name: string, modelJson: Uint8Array): string {
    const list = this.versions.get(name) ?? [];
    list.push(new Map([[MODEL_FILE, modelJson]]));
    this.versions.set(name, list);
    return String(list.length);
  }

  #check(): void {
    if (this.down) throw new VigilError('VIGIL_ERR_UNAVAILABLE', 'tiny registry down');
  }

  async models(): Promise<string[]> {
    this.#check();
    return [...this.versions.keys()].sort();
  }

  async byAlias(name: string): Promise<ModelVersion | undefined> {
    this.#check();
    const v = this.production.get(name);
    if (v === undefined) return undefined;
    return { name, version: v, createdAt: 0, tags: {}, aliases: ['production'], source: `/reg/${name}/${v}` };
  }

  async files(name: string, version: string): Promise<Map<string, Uint8Array>> {
    this.#check();
    return this.versions.get(name)![Number(version) - 1]!;
  }
}

const SERIES = [
  { id: 1, metric: 'cpu', tags: { host: 'a' } },
  { id: 2, metric: 'cpu', tags: { host: 'b' } },
  { id: 3, metric: 'mem', tags: { host: 'a' } },
];

function setup(serve: string[] = []) {
  const registry = new TinyRegistry();
  const series = [...SERIES];
  const applied: Map<number, ModelAssignment>[] = [];
  const kept: string[][] = [];
  const log: string[] = [];
  const events: ModelPollEvents = {
    loaded: (m, prev) => log.push(`loaded ${m.ref.name}@${m.ref.version} from ${prev?.version ?? '-'}`),
    refused: (ref, err) => log.push(`refused ${ref.name}@${ref.version}: ${(err as Error).message}`),
    unserved: (ref) => log.push(`unserved ${ref.name}@${ref.version}`),
    unavailable: (err) => log.push(`unavailable: ${(err as Error).message}`),
    recovered: () => log.push('recovered'),
    failed: (err) => log.push(`failed: ${(err as Error).message}`),
  };
  const poll = new ModelPoll({
    source: { kind: 'registry', registry: registry as unknown as ModelRegistry, serve },
    pipelines: pipelinesOf(builtinDetectors()),
    seriesCount: async () => series.length,
    series: async () => series,
    apply: async (a, keep) => {
      applied.push(a);
      kept.push(keep);
    },
    events,
    now: () => 1000,
  });
  const versionOf = (id: number) => {
    const a = applied.at(-1)?.get(id);
    return a === undefined ? undefined : `${a.model.name}@${a.model.version}`;
  };
  return { registry, series, applied, kept, log, poll, versionOf };
}

describe('ModelPoll', () => {
  it('applies nothing until the registry was read, then an empty set once', async () => {
    const t = setup();
    t.registry.down = true;
    expect(await t.poll.poll()).toBe(false);
    expect(t.applied).toEqual([]);
    expect(t.poll.current).toBeUndefined();
    t.registry.down = false;
    expect(await t.poll.poll()).toBe(true);
    expect(t.applied).toEqual([new Map()]);
    expect(await t.poll.poll()).toBe(false);
    expect(t.log).toEqual(['unavailable: tiny registry down', 'recovered']);
  });

  it('loads @production, switches when the alias moves, and back (rollback)', async () => {
    const t = setup();
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.9)));
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.8)));
    t.registry.production.set('cpu', '1');
    expect(await t.poll.poll()).toBe(true);
    expect([1, 2, 3].map(t.versionOf)).toEqual(['cpu@1', 'cpu@1', undefined]);
    expect(t.applied.at(-1)!.get(1)!.config.pipeline.threshold).toBe(0.9);
    expect(await t.poll.poll()).toBe(false);
    t.registry.production.set('cpu', '2');
    expect(await t.poll.poll()).toBe(true);
    expect(t.versionOf(1)).toBe('cpu@2');
    expect(t.applied.at(-1)!.get(1)!.config.pipeline.threshold).toBe(0.8);
    t.registry.production.set('cpu', '1');
    expect(await t.poll.poll()).toBe(true);
    expect(t.versionOf(2)).toBe('cpu@1');
    expect(t.log).toEqual(['loaded cpu@1 from -', 'loaded cpu@2 from 1', 'loaded cpu@1 from 2']);
    expect(t.poll.stats).toMatchObject({ reloads: 3, loadFailures: 0, lastSwitchMs: 1000 });
  });

  it('refuses a corrupt version naming its model.json, once, and keeps serving the loaded one', async () => {
    const t = setup();
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.9)));
    t.registry.add('cpu', new TextEncoder().encode('{"format": "vigil-model", '));
    t.registry.add(
      'cpu',
      encodeModelSpec({ ...spec('cpu', 'cpu', 0.9), pipeline: { detector: { name: 'nope' } } }),
    );
    t.registry.production.set('cpu', '1');
    await t.poll.poll();
    t.registry.production.set('cpu', '2');
    expect(await t.poll.poll()).toBe(false);
    expect(await t.poll.poll()).toBe(false);
    t.registry.production.set('cpu', '3');
    expect(await t.poll.poll()).toBe(false);
    expect(t.versionOf(1)).toBe('cpu@1');
    expect(t.applied).toHaveLength(1);
    expect(t.log.slice(1)).toEqual([
      expect.stringMatching(/^refused cpu@2: \/reg\/cpu\/2\/model\.json: not valid UTF-8 JSON/),
      expect.stringMatching(
        /^refused cpu@3: \/reg\/cpu\/3\/model\.json: pipeline\.detector\.name: unknown detector "nope"/,
      ),
    ]);
    expect(t.poll.stats.loadFailures).toBe(2);
  });

  it('a start onto a refused version asks the engines to keep what their checkpoints hold', async () => {
    const t = setup();
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.9)));
    t.registry.add('cpu', new TextEncoder().encode('not json'));
    t.registry.production.set('cpu', '2');
    expect(await t.poll.poll()).toBe(true);
    expect(t.applied).toEqual([new Map()]);
    expect(t.kept).toEqual([['cpu']]);
    // A good version moved to: served, nothing kept any more.
    t.registry.production.set('cpu', '1');
    expect(await t.poll.poll()).toBe(true);
    expect(t.versionOf(1)).toBe('cpu@1');
    expect(t.kept.at(-1)).toEqual([]);
  });

  it('keeps serving through an outage, logged once, and picks up a move made meanwhile', async () => {
    const t = setup();
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.9)));
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.8)));
    t.registry.production.set('cpu', '1');
    await t.poll.poll();
    t.registry.down = true;
    t.registry.production.set('cpu', '2');
    for (let i = 0; i < 3; i++) expect(await t.poll.poll()).toBe(false);
    expect(t.versionOf(1)).toBe('cpu@1');
    t.registry.down = false;
    expect(await t.poll.poll()).toBe(true);
    expect(t.versionOf(1)).toBe('cpu@2');
    expect(t.log).toEqual([
      'loaded cpu@1 from -',
      'unavailable: tiny registry down',
      'loaded cpu@2 from 1',
      'recovered',
    ]);
    expect(t.poll.stats.registryErrors).toBe(3);
  });

  it('gives new series their model, and the default back when the alias is removed', async () => {
    const t = setup();
    t.registry.add('cpu', encodeModelSpec(spec('cpu', '{__name__="cpu"}', 0.9)));
    t.registry.production.set('cpu', '1');
    await t.poll.poll();
    t.series.push({ id: 4, metric: 'cpu', tags: { host: 'c' } });
    expect(await t.poll.poll()).toBe(true);
    expect(t.versionOf(4)).toBe('cpu@1');
    t.registry.production.delete('cpu');
    expect(await t.poll.poll()).toBe(true);
    expect(t.applied.at(-1)).toEqual(new Map());
    expect(t.log.at(-1)).toBe('unserved cpu@1');
  });

  it('first match wins: models.serve order, else by name', async () => {
    for (const [serve, winner] of [
      [[], 'a-all'],
      [['b-cpu', 'a-all'], 'b-cpu'],
    ] as const) {
      const t = setup([...serve]);
      t.registry.add('a-all', encodeModelSpec(spec('a-all', '{host=~".+"}', 0.9)));
      t.registry.add('b-cpu', encodeModelSpec(spec('b-cpu', '{__name__="cpu"}', 0.9)));
      t.registry.production.set('a-all', '1');
      t.registry.production.set('b-cpu', '1');
      await t.poll.poll();
      expect(t.versionOf(1)).toBe(`${winner}@1`);
      expect(t.versionOf(3)).toBe('a-all@1');
    }
  });
});
