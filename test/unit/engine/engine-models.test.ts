/**
 * Engine.setModels: a series' pipeline comes from its per-series config, else its served model,
 * else the default; a version switch restarts only the series that switched; anomalies record the
 * version that scored them; checkpoints keep the model with the state.
 */
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ModelAssignment } from '../../../src/core/models/serving.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import type { SeriesConfig } from '../../../src/core/series-config.ts';
import { Engine, type EngineOutput } from '../../../src/engine/engine.ts';

const ewma = (threshold: number, name?: string): SeriesConfig => ({
  pipeline: {
    ...(name !== undefined ? { name } : {}),
    detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
    calibration: { name: 'none' },
    threshold,
    postRules: [],
  },
});

const defaults = ewma(0.999, 'default-pipeline');
const v1: ModelAssignment = { config: ewma(0.99, 'model-v1'), model: { name: 'cpu', version: '1' } };
const v2: ModelAssignment = { config: ewma(0.98, 'model-v2'), model: { name: 'cpu', version: '2' } };

const engine = () => new Engine({ registry: builtinDetectors(), defaults, allowedLatenessMs: 0 });

interface Collected {
  points: [number, ScoredPoint][];
  anomalies: Anomaly[];
}

function sink(into: Collected): EngineOutput {
  return {
    point: (s, p) => into.points.push([s, p]),
    anomaly: (a) => into.anomalies.push(a),
    rejected: () => {},
  };
}

/** A flat series with a spike at every 50th point (from 20 on). */
const valueAt = (i: number) => (i >= 20 && i % 50 === 20 ? 100 : 10 + Math.sin(i) * 0.5);

function feed(e: Engine, ids: number[], from: number, to: number, into: Collected): void {
  const out = sink(into);
  for (let i = from; i < to; i++) for (const id of ids) e.process(id, i * 1000, valueAt(i), out);
}

const collected = (): Collected => ({ points: [], anomalies: [] });
const label = (e: Engine, id: number) => e.configOf(id).pipeline.name;

describe('Engine served models', () => {
  it('takes a per-series config over the model, and the model over the default', () => {
    const e = engine();
    e.setConfig(3, ewma(0.9, 'override'), sink(collected()));
    e.setModels(
      new Map([
        [2, v1],
        [3, v1],
      ]),
      sink(collected()),
    );
    expect(label(e, 1)).toBe('default-pipeline');
    expect(label(e, 2)).toBe('model-v1');
    expect(label(e, 3)).toBe('override');
    const c = collected();
    feed(e, [1, 2, 3], 0, 30, c);
    const byId = (id: number) => c.anomalies.filter((a) => a.seriesId === id);
    expect(byId(1).length).toBeGreaterThan(0);
    expect(byId(1).every((a) => a.model === undefined && a.detector === 'default-pipeline')).toBe(true);
    expect(byId(2).length).toBeGreaterThan(0);
    expect(byId(2).every((a) => a.model?.version === '1' && a.detector === 'model-v1')).toBe(true);
    expect(byId(3).every((a) => a.model === undefined && a.detector === 'override')).toBe(true);
    expect(e.modelOf(2)).toEqual({ name: 'cpu', version: '1' });
    expect(e.modelOf(3)).toBeUndefined();
  });

  it('restarts only the series whose version changed; the others keep their state', () => {
    const e = engine();
    e.setModels(
      new Map([
        [1, v1],
        [2, v1],
      ]),
      sink(collected()),
    );
    feed(e, [1, 2, 3], 0, 40, collected());
    const before = e.takeDirtyStates();
    const c = collected();
    // Series 1 moves to v2, series 2 stays on v1, series 3 had none and has none.
    const switched = e.setModels(
      new Map([
        [1, v2],
        [2, v1],
      ]),
      sink(c),
    );
    expect(switched).toEqual([1]);
    const after = e.takeDirtyStates();
    expect([...after.keys()]).toEqual([1]);
    const s1 = JSON.parse(after.get(1)!);
    expect(s1.model).toEqual(v2.model);
    expect(s1.pipeline.hash).not.toBe(JSON.parse(before.get(1)!).pipeline.hash);
    expect(label(e, 1)).toBe('model-v2');
    expect(label(e, 2)).toBe('model-v1');
    // Points after the switch: series 1's anomalies are v2's.
    const later = collected();
    feed(e, [1, 2], 40, 120, later);
    const one = later.anomalies.filter((a) => a.seriesId === 1);
    expect(one.length).toBeGreaterThan(0);
    expect(one.every((a) => a.model?.version === '2')).toBe(true);
    expect(later.anomalies.filter((a) => a.seriesId === 2).every((a) => a.model?.version === '1')).toBe(true);
  });

  it('closes a run open at the switch under the version that opened it', () => {
    const e = engine();
    e.setModels(new Map([[1, v1]]), sink(collected()));
    const c = collected();
    feed(e, [1], 0, 21, c); // ends on the spike at 20: a run is open
    const open = c.anomalies.at(-1)!;
    expect(open.open).toBe(true);
    const sw = collected();
    e.setModels(new Map([[1, v2]]), sink(sw));
    expect(sw.anomalies).toHaveLength(1);
    expect(sw.anomalies[0]).toMatchObject({ start: open.start, open: false, model: v1.model });
  });

  it('falls back to the default when the model no longer applies (alias removed, selector no longer matches)', () => {
    const e = engine();
    e.setModels(new Map([[1, v1]]), sink(collected()));
    feed(e, [1], 0, 10, collected());
    expect(e.setModels(new Map(), sink(collected()))).toEqual([1]);
    expect(label(e, 1)).toBe('default-pipeline');
    expect(e.modelOf(1)).toBeUndefined();
  });

  it('restores a series under the model its checkpoint holds, then switches to the one set', () => {
    const e = engine();
    e.setModels(new Map([[1, v1]]), sink(collected()));
    feed(e, [1], 0, 21, collected()); // a v1 run open at the checkpoint
    const states = e.takeDirtyStates();

    // Before any setModels (the registry not read yet): the checkpoint's version goes on, state kept.
    const r1 = engine();
    r1.restore(states, sink(collected()));
    expect(r1.modelOf(1)).toEqual(v1.model);
    expect(label(r1, 1)).toBe('model-v1');
    const a = collected();
    const b = collected();
    feed(e, [1], 21, 80, a);
    feed(r1, [1], 21, 80, b);
    expect(b.points).toEqual(a.points);
    expect(b.anomalies).toEqual(a.anomalies);

    // With v2 set before the restore: the restored series switches, closing the v1 run.
    const r2 = engine();
    r2.setModels(new Map([[1, v2]]), sink(collected()));
    const closed = collected();
    r2.restore(states, sink(closed));
    expect(r2.modelOf(1)).toEqual(v2.model);
    expect(closed.anomalies).toEqual([expect.objectContaining({ open: false, model: v1.model })]);

    // The same version set: the state is kept, as if nothing happened.
    const r3 = engine();
    r3.setModels(new Map([[1, v1]]), sink(collected()));
    const none = collected();
    r3.restore(states, sink(none));
    expect(none.anomalies).toEqual([]);
    const c3 = collected();
    feed(r3, [1], 21, 80, c3);
    expect(c3.points).toEqual(a.points);
  });

  it('counts per version the series running it and the feedback on anomalies it raised', () => {
    const e = engine();
    feed(e, [1, 2], 0, 10, collected()); // the default first: up to ts 9000
    e.setModels(
      new Map([
        [1, v1],
        [2, v1],
      ]),
      sink(collected()),
    );
    const label = (id: string, start: number, l: 'anomaly' | 'not_anomaly') => ({
      id,
      label: l,
      start,
      peakValue: 100,
      peakExpected: 10,
      peakScore: 1,
    });
    // Before the switch (the default's anomaly): not v1's. After it: v1's.
    e.feedback(1, [
      label('a', 5000, 'anomaly'),
      label('b', 20_000, 'anomaly'),
      label('c', 70_000, 'not_anomaly'),
    ]);
    e.feedback(2, [label('d', 20_000, 'anomaly')]);
    expect(e.modelStats()).toEqual(new Map([['cpu@1', { series: 2, opened: 0, labelled: 3, confirmed: 2 }]]));
  });

  it('keeps the version a series runs for a model named in `keep` (its served version unknown)', () => {
    const e = engine();
    e.setModels(new Map([[1, v1]]), sink(collected()));
    feed(e, [1, 2], 0, 10, collected());
    expect(e.setModels(new Map(), sink(collected()), ['cpu'])).toEqual([]);
    expect(e.modelOf(1)).toEqual(v1.model);
    expect(e.setModels(new Map(), sink(collected()), ['other'])).toEqual([1]);
    expect(e.modelOf(1)).toBeUndefined();
  });

  it('a per-series config set later wins over the model', () => {
    const e = engine();
    e.setModels(new Map([[1, v1]]), sink(collected()));
    feed(e, [1], 0, 10, collected());
    e.setConfig(1, ewma(0.9, 'override'), sink(collected()));
    expect(e.modelOf(1)).toBeUndefined();
    expect(e.setModels(new Map([[1, v2]]), sink(collected()))).toEqual([]);
    expect(label(e, 1)).toBe('override');
  });
});
