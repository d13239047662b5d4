import { describe, expect, it } from 'vitest';
import { formatKey, isTenant, parseExpiry, parseKey, parseScopes } from '../../../src/core/api-key.ts';

const SECRET = 'A'.repeat(43);

describe('API key text', () => {
  it('parses vgl_<id>_<secret> and nothing else', () => {
    const key = formatKey('0123456789abcdef', SECRET);
    expect(key).toHaveLength(64);
    expect(parseKey(key)).toEqual({ id: '0123456789abcdef', secret: SECRET });
    for (const bad of [
      '',
      key.slice(0, -1),
      `${key}A`,
      key.replace('vgl_', 'vgx_'),
      formatKey('0123456789ABCDEF', SECRET),
      formatKey('0123456789abcdef', `${'A'.repeat(42)}=`),
      ` ${key.slice(1)}`,
    ]) {
      expect(parseKey(bad), bad).toBeUndefined();
    }
  });

  it('parses scope lists, naming an unknown scope', () => {
    expect(parseScopes('ingest, read,ingest')).toEqual(['ingest', 'read']);
    expect(() => parseScopes('ingest,root')).toThrow('unknown scope "root"');
    expect(() => parseScopes(' , ')).toThrow('no scope');
  });

  it('reads expiries as durations from now or RFC 3339 dates', () => {
    expect(parseExpiry('90d', 1000)).toBe(1000 + 90 * 86_400_000);
    expect(parseExpiry('12h', 0)).toBe(12 * 3_600_000);
    expect(parseExpiry('2027-01-01T00:00:00Z', 0)).toBe(Date.UTC(2027, 0, 1));
    for (const bad of ['90', 'soon', '-1d', '1y']) expect(() => parseExpiry(bad, 0), bad).toThrow('expiry');
  });

  it('accepts tenant names that can go into storage keys', () => {
    expect(isTenant('default')).toBe(true);
    expect(isTenant('team-a_1')).toBe(true);
    for (const bad of ['', 'A', '-a', 'a:b', 'a/b', 'x'.repeat(64)]) expect(isTenant(bad), bad).toBe(false);
  });
});
