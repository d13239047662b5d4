import { describe, expect, it } from 'vitest';
import { matches, parseSelector } from '../../../src/core/selector.ts';
import { parseSeriesKey, seriesKey } from '../../../src/core/series.ts';

describe('series keys', () => {
  it('are canonical: tag order does not matter and values are escaped', () => {
    const k = seriesKey('cpu', { z: '1', a: 'x"y\\z\nw' });
    expect(k).toBe('cpu{a="x\\"y\\\\z\\nw",z="1"}');
    expect(seriesKey('cpu', { a: 'x"y\\z\nw', z: '1' })).toBe(k);
    expect(parseSeriesKey(k)).toEqual({ metric: 'cpu', tags: { a: 'x"y\\z\nw', z: '1' } });
    expect(seriesKey('up', {})).toBe('up');
  });

  it('parse values longer than a few characters, with escapes anywhere in them', () => {
    const tags = {
      host: 'web-12.eu-west-1.example.com',
      path: '"/api/v1/items"\\with\nescapes in the middle and at the end\\',
      q: '\\"',
    };
    expect(parseSeriesKey(seriesKey('http_requests_total', tags))).toEqual({
      metric: 'http_requests_total',
      tags,
    });
  });
});

describe('selectors', () => {
  const tags = { host: 'web-1', region: 'eu-west' };
  it.each([
    ['cpu', true],
    ['mem', false],
    ['cpu{host="web-1"}', true],
    ['cpu{host!="web-1"}', false],
    ['{region=~"eu-.*"}', true],
    ['{region=~"eu"}', false],
    ['cpu{region!~"us.*",host="web-1"}', true],
    ['{__name__="cpu"}', true],
    ['{missing=""}', true],
  ])('%s → %s', (sel, want) => {
    expect(matches(parseSelector(sel), 'cpu', tags)).toBe(want);
  });
  it.each(['', 'cpu{host}', 'cpu{host="a"', 'cpu{host=~"("}', 'cpu{host=a}'])('rejects %j', (sel) => {
    expect(() => parseSelector(sel)).toThrow(/invalid selector/);
  });
});

describe('series keys never collide', () => {
  it('quotes names that hold key delimiters, and parses them back', () => {
    const a = seriesKey('a{b="c"}', {});
    const b = seriesKey('a', { b: 'c' });
    expect(a).not.toBe(b);
    expect(parseSeriesKey(a)).toEqual({ metric: 'a{b="c"}', tags: {} });
    const odd = { 't a=g': 'v,a=l ue', 'x"y': '\\' };
    const k = seriesKey('my meas,ure', odd);
    expect(k).toBe('"my meas,ure"{"t a=g"="v,a=l ue","x\\"y"="\\\\"}');
    expect(parseSeriesKey(k)).toEqual({ metric: 'my meas,ure', tags: odd });
  });
});

describe('series key round trip (property)', () => {
  it('parseSeriesKey inverts seriesKey for any names and values', async () => {
    const fc = (await import('fast-check')).default;
    const text = fc.string({ unit: fc.constantFrom(...'ab{}=,"\\ \n.é_'), minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(text, fc.dictionary(text, text, { maxKeys: 4 }), (metric, tags) => {
        expect(parseSeriesKey(seriesKey(metric, tags))).toEqual({ metric, tags });
      }),
      { numRuns: 5000 },
    );
  });
});
