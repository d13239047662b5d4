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
