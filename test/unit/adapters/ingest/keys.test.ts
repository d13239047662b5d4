/** Every parser returns each point's canonical series key, aligned with `points`; ingest relies on it. */
import { describe, expect, it } from 'vitest';
import { encodeRemoteWrite } from '../../../../src/adapters/ingest/encode.ts';
import {
  parseJsonPoints,
  parseJsonPointsReference,
  parseNdjsonPoints,
} from '../../../../src/adapters/ingest/json.ts';
import { parseLineProtocol } from '../../../../src/adapters/ingest/line-protocol.ts';
import { decodeRemoteWrite } from '../../../../src/adapters/ingest/remote-write.ts';
import { DEFAULT_SERIES_LIMITS, seriesKey } from '../../../../src/core/series.ts';

const limits = { maxPoints: 1000, series: DEFAULT_SERIES_LIMITS };
const points = [
  { metric: 'cpu', tags: { host: 'a', dc: 'x' }, ts: 1000, value: 1 },
  { metric: 'cpu', tags: { host: 'b' }, ts: 1000, value: 2 },
  { metric: 'mem used', tags: { 'h=1': 'v,"' }, ts: 2000, value: 3 },
  { metric: 'cpu', tags: { dc: 'x', host: 'a' }, ts: 3000, value: 4 },
];
const body = JSON.stringify({ points });

describe('parsers return aligned series keys', () => {
  const cases: [
    string,
    () => { points: { metric: string; tags: Record<string, string> }[]; keys?: string[] },
  ][] = [
    ['json (fast path)', () => parseJsonPoints(body, limits)],
    ['json (reference)', () => parseJsonPointsReference(body, limits)],
    ['ndjson', () => parseNdjsonPoints(points.map((p) => JSON.stringify(p)).join('\n'), limits)],
    [
      'line protocol',
      () => parseLineProtocol('cpu,host=a v=1,w=2 1000\nmem,h=b v=3 2000\n', 'ms', 0, limits),
    ],
    [
      'remote_write',
      () =>
        decodeRemoteWrite(
          encodeRemoteWrite([
            {
              labels: { __name__: 'up', job: 'a' },
              samples: [
                { ts: 1, value: 1 },
                { ts: 2, value: 1 },
              ],
            },
            { labels: { __name__: 'up', job: 'b' }, samples: [{ ts: 1, value: 0 }] },
          ]),
          limits,
        ),
    ],
  ];
  it.each(cases)('%s', (_name, parse) => {
    const got = parse();
    expect(got.keys).toHaveLength(got.points.length);
    expect(got.keys).toEqual(got.points.map((p) => seriesKey(p.metric, p.tags)));
  });
});
