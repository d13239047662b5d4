/**
 * Line protocol against a real InfluxDB 1.x: awkward names and float edge values go in through the
 * InfluxPointStore and come back exactly, names that line protocol cannot carry still store their
 * points, and a rewrite of (series, ts) replaces the point. The compact layout writes three fields;
 * points written in the earlier `fields` layout read the same through it, and rewrites replace them.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FALLBACK_MEASUREMENT,
  InfluxClient,
  InfluxPointStore,
  SERIES_ID_TAG,
} from '../../src/adapters/influx/index.ts';
import { quoteIdent, quoteString } from '../../src/adapters/influx/influxql.ts';
import { encodeLine, seriesPrefix } from '../../src/adapters/influx/line-protocol.ts';
import type { ScoredPoint } from '../../src/core/point.ts';
import { PointColumns } from '../../src/core/point-columns.ts';
import type { SeriesInfo } from '../../src/ports/series-catalog.ts';
import { service } from '../support/services.ts';

const database = `vigil_test_lp_${randomUUID().slice(0, 8)}`;
const series = new Map<number, SeriesInfo>();
let client: InfluxClient;
let store: InfluxPointStore;

beforeAll(async () => {
  client = new InfluxClient({ url: service('influxdb').VIGIL_INFLUX_URL!, database });
  await client.ensureDatabase();
  store = new InfluxPointStore({ client, series: { get: async (id) => series.get(id) }, pageSize: 3 });
});

afterAll(async () => {
  await client?.command(`DROP DATABASE ${quoteIdent(database)}`);
});

function register(id: number, metric: string, tags: Record<string, string>): void {
  series.set(id, { id, key: `${metric}#${id}`, metric, tags, createdMs: 0 });
}

const point = (ts: number, value: number, band?: [number, number, number]): ScoredPoint => ({
  ts,
  value,
  score: 0.5,
  expected: band?.[0] ?? Number.NaN,
  lower: band?.[1] ?? Number.NaN,
  upper: band?.[2] ?? Number.NaN,
  anomalous: value > 100,
});

/** Metric name and tags of series `id` as InfluxDB stored them. */
async function storedAs(measurement: string, id: number) {
  const [r] = await client.query(
    `SELECT * FROM ${quoteIdent(measurement)} WHERE ${quoteIdent(SERIES_ID_TAG)} = ${quoteString(String(id))}`,
  );
  const s = r!.series[0]!;
  const row = s.values[0]!;
  const tags: Record<string, unknown> = {};
  for (const [i, c] of s.columns.entries()) {
    if (!['time', 'value', 'score', 'band', 'anomalous', 'expected', 'lower', 'upper', 'missing'].includes(c))
      tags[c] = row[i];
  }
  return { name: s.name, tags };
}

describe('InfluxDB line protocol round trip', () => {
  it('names and tag values with spaces, commas, equals, quotes, unicode and backslashes read back exactly', async () => {
    const cases: [string, Record<string, string>][] = [
      ['cpu usage,total', { 'host name': 'a b,c=d', 'k=e,y': 'v' }],
      [`quote"s 'and' more`, { q: `"double" 'single'`, 'x"y': "it's" }],
      ['ünïcødé 温度 🌡️', { région: 'Île-de-France', emoji: '🔥 hot', 中文: '值' }],
      ['C:\\temp\\disk', { path: 'C:\\Windows\\System32', 'a\\b': 'x\\y z' }],
      [' leading space', { t: ' padded ' }],
    ];
    let id = 100;
    for (const [metric, tags] of cases) {
      register(++id, metric, tags);
      await store.write(
        new Map([[id, PointColumns.of([point(1000, id), point(2000, id + 0.5, [1, 0, 2])])]]),
      );
      expect(await store.range(id, 0, 3000)).toEqual([point(1000, id), point(2000, id + 0.5, [1, 0, 2])]);
      expect(await storedAs(metric, id)).toEqual({
        name: metric,
        tags: { ...tags, [SERIES_ID_TAG]: String(id) },
      });
    }
    const [shown] = await client.query('SHOW MEASUREMENTS');
    const names = shown!.series[0]!.values.map((r) => r[0]);
    for (const [metric] of cases) expect(names).toContain(metric);
  });

  it('floats read back bit for bit, -0 and subnormals included', async () => {
    const values = [
      1e-300,
      -0,
      5e-324,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      0.1 + 0.2,
      1 / 3,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      Number.MIN_VALUE * 3,
      1e21,
      123456789.12345679,
      7,
    ];
    register(200, 'floats', { kind: 'edge' });
    const pts = values.map((v, i) => ({ ...point(i, v, [v, -v, v]), score: v }));
    await store.write(new Map([[200, PointColumns.of(pts)]]));
    const back = await store.range(200, 0, values.length);
    expect(back).toHaveLength(values.length);
    for (const [i, p] of back.entries()) {
      for (const k of ['value', 'score', 'expected', 'lower', 'upper'] as const) {
        expect(Object.is(p[k], pts[i]![k]), `${k} of ${values[i]}: got ${p[k]}`).toBe(true);
      }
    }
  });

  it('a point rewritten with the same ts replaces it; ranges page through many points', async () => {
    register(300, 'rewrite', { host: 'h' });
    await store.write(new Map([[300, PointColumns.of([1, 2, 3, 4, 5, 6, 7].map((t) => point(t, t)))]]));
    await store.write(new Map([[300, PointColumns.of([point(4, 400, [1, 2, 3]), point(6, 6)])]]));
    // Page size 3: the 7 points come in three queries.
    expect(await store.range(300, 0, 100)).toEqual([
      point(1, 1),
      point(2, 2),
      point(3, 3),
      point(4, 400, [1, 2, 3]),
      point(5, 5),
      point(6, 6),
      point(7, 7),
    ]);
    const [count] = await client.query(`SELECT count("value") FROM "rewrite"`);
    expect(count!.series[0]!.values[0]![1]).toBe(7);
    // InfluxDB keeps fields a rewrite does not carry: the band of the earlier write must still
    // read as gone when the rewrite has none.
    await store.write(new Map([[300, PointColumns.of([point(4, 401)])]]));
    expect(await store.range(300, 4, 5)).toEqual([point(4, 401)]);
    await store.write(new Map([[300, PointColumns.of([point(4, 402, [5, 4, 6])])]]));
    expect(await store.range(300, 4, 5)).toEqual([point(4, 402, [5, 4, 6])]);
  });

  it('names line protocol cannot carry still store their points, under the fallback measurement', async () => {
    register(400, '#comment-like', { ok: 'yes', 'trailing\\': 'x', time: 't', value: 'v' });
    register(401, 'ends with\\', { bad: 'a\\', [SERIES_ID_TAG]: 'spoof' });
    await store.write(new Map([[400, PointColumns.of([point(10, 1)])]]));
    await store.write(new Map([[401, PointColumns.of([point(10, 2)])]]));
    expect(await store.range(400, 0, 100)).toEqual([point(10, 1)]);
    expect(await store.range(401, 0, 100)).toEqual([point(10, 2)]);
    expect(await storedAs(FALLBACK_MEASUREMENT, 400)).toEqual({
      name: FALLBACK_MEASUREMENT,
      tags: { ok: 'yes', [SERIES_ID_TAG]: '400' },
    });
  });

  it('the compact layout writes value, score and the band string, as docs/integrations.md says', async () => {
    register(500, 'compact', { host: 'c' });
    const nanScore: ScoredPoint = { ...point(3, 7), score: Number.NaN };
    await store.write(
      new Map([[500, PointColumns.of([point(1, 5), point(2, 500, [1.5, -1, 4]), nanScore])]]),
    );
    const [keys] = await client.query(`SHOW FIELD KEYS FROM "compact"`);
    expect(keys!.series[0]!.values).toEqual([
      ['band', 'string'],
      ['score', 'float'],
      ['value', 'float'],
    ]);
    const [rows] = await client.query(`SELECT "value", "score", "band" FROM "compact"`);
    expect(rows!.series[0]!.values).toEqual([
      [1, 5, 0.5, '0'],
      [2, 500, 0.5, '1 1.5 -1 4'],
      [3, 7, null, '4'],
    ]);
    // The anomalous points, as an InfluxQL user finds them (flags odd).
    const [anomalous] = await client.query(`SELECT "value" FROM "compact" WHERE "band" =~ /^[1357]( |$)/`);
    expect(anomalous!.series[0]!.values).toEqual([[2, 500]]);
    expect(await store.range(500, 0, 10)).toEqual([point(1, 5), point(2, 500, [1.5, -1, 4]), nanScore]);
  });

  it('points written in the fields layout read the same in compact, and a compact rewrite replaces them', async () => {
    const old = new InfluxPointStore({
      client,
      series: { get: async (id) => series.get(id) },
      layout: 'fields',
    });
    register(600, 'migrated', { host: 'm' });
    const before = [
      point(1, 1, [1, 0, 2]),
      point(2, 200, [1, 0, 2]),
      point(3, 3),
      { ...point(4, 4), value: Number.NaN },
    ];
    await old.write(new Map([[600, PointColumns.of(before)]]));
    const [keys] = await client.query(`SHOW FIELD KEYS FROM "migrated"`);
    expect(keys!.series[0]!.values.map((r) => r[0])).toEqual([
      'anomalous',
      'expected',
      'lower',
      'missing',
      'score',
      'upper',
      'value',
    ]);
    expect(await store.range(600, 0, 10)).toEqual(before);
    // A replay after the switch rewrites some of them in the compact layout: each reads as rewritten
    // (the band gone, the flag cleared), the others as they were.
    const after = [point(2, 2), point(3, 300, [9, 8, 10])];
    await store.write(new Map([[600, PointColumns.of(after)]]));
    expect(await store.range(600, 0, 10)).toEqual([before[0], after[0], after[1], before[3]]);
    // The count a delete reports takes each layout's always-written field: the two points rewritten
    // in both layouts count twice (documented in point-store.ts); every point goes.
    expect(await store.deleteSeries([600])).toBe(4 + 2);
    expect(await old.range(600, 0, 10)).toEqual([]);
  });

  it('string fields keep quotes and backslashes', async () => {
    const text = 'say "hi" \\ to C:\\dir\\ and \'them\'';
    await client.write([encodeLine(seriesPrefix('notes', [['k', 'v']]), [['text', text]], 5)]);
    const [r] = await client.query(`SELECT "text" FROM "notes"`);
    expect(r!.series[0]!.values).toEqual([[5, text]]);
  });
});
