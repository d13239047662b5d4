/** The selector completion and the /metrics reading of the web UI (pure parts of src/ui). */
import { expect, it } from 'vitest';
import { buildIndex, suggest } from '../../../src/ui/completion.ts';
import { sumMetric } from '../../../src/ui/prom-text.ts';

const index = buildIndex([
  { key: 'cpu{host="a",region="eu"}', metric: 'cpu', tags: { host: 'a', region: 'eu' } },
  { key: 'cpu{host="b"}', metric: 'cpu', tags: { host: 'b' } },
  { key: 'cpu_load{zone="z"}', metric: 'cpu_load', tags: { zone: 'z' } },
  { key: 'mem', metric: 'mem', tags: {} },
]);

it('completes metric names before the brace', () => {
  expect(suggest('cp', index)).toEqual(['cpu', 'cpu_load']);
  expect(suggest('', index)).toEqual(['cpu', 'cpu_load', 'mem']);
});

it("completes the metric's label names after { and ,", () => {
  expect(suggest('cpu{', index)).toEqual(['cpu{host=', 'cpu{region=']);
  expect(suggest('cpu{host="a", r', index)).toEqual(['cpu{host="a", region=']);
  expect(suggest('{', index)).toEqual(['{host=', '{region=', '{zone=']);
});

it("completes a label's values after its operator, quoted and closed", () => {
  expect(suggest('cpu{host="', index)).toEqual(['cpu{host="a"}', 'cpu{host="b"}']);
  expect(suggest('cpu{host=~b', index)).toEqual(['cpu{host=~"b"}']);
  expect(suggest('cpu{host="a"}', index)).toEqual([]);
});

it('sums every sample of one metric in a Prometheus exposition', () => {
  const text = [
    '# HELP vigil_ingest_points_total Points accepted',
    'vigil_ingest_points_total{format="json"} 10',
    'vigil_ingest_points_total{format="influx"} 5',
    'vigil_ingest_points_total_other 99',
  ].join('\n');
  expect(sumMetric(text, 'vigil_ingest_points_total')).toBe(15);
  expect(sumMetric(text, 'absent')).toBeUndefined();
});
