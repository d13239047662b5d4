import { describe, expect, it } from 'vitest';
import { MAX_DETAIL_CHARS, redacted } from '../../../src/core/audit.ts';

describe('redacted', () => {
  it('replaces secret-looking values at any depth and keeps the rest', () => {
    const text = redacted({
      name: 'hook',
      secret: 's3cr3t',
      notifiers: [{ url: 'https://x', headers: { Authorization: 'Bearer abc' }, apiKey: 'k' }],
      password: { nested: 'p' },
      key: 'vgl_x_y',
      keys: 3,
    });
    expect(JSON.parse(text)).toEqual({
      name: 'hook',
      secret: '[redacted]',
      notifiers: [{ url: 'https://x', headers: { Authorization: '[redacted]' }, apiKey: '[redacted]' }],
      password: '[redacted]',
      key: '[redacted]',
      keys: 3,
    });
    expect(text).not.toMatch(/s3cr3t|abc|vgl_x_y/);
  });

  it('cuts long bodies to the limit and marks the cut; nothing becomes the empty string', () => {
    const text = redacted({ blob: 'x'.repeat(MAX_DETAIL_CHARS * 2) });
    expect(text).toHaveLength(MAX_DETAIL_CHARS);
    expect(text.endsWith('…')).toBe(true);
    expect(redacted(undefined)).toBe('');
    expect(redacted(null)).toBe('null');
  });
});
