/** Contract of the ConfigStore port (per-series detector configuration). */
import { describe, expect, it } from 'vitest';
import type { ConfigStore } from '../../src/ports/meta-store.ts';
import { rawConfig } from '../helpers/series-config.ts';
import type { Reopenable } from './fixtures.ts';

export interface ConfigsUnderTest extends Reopenable<ConfigsUnderTest> {
  configs: ConfigStore;
}

export function configContract(name: string, open: () => Promise<ConfigsUnderTest>): void {
  describe(`ConfigStore contract: ${name}`, () => {
    it('a config is durable when set and replaced by the next', async () => {
      let s = await open();
      expect(await s.configs.allConfigs()).toEqual(new Map());
      await s.configs.setConfig(5, rawConfig('ewma', { alpha: 0.1 }, 0.9));
      await s.configs.setConfig(5, rawConfig('ewma', { alpha: 0.2, nested: { k: [1, 'x'] } }, 0.95));
      await s.configs.setConfig(8, {
        pipeline: { name: 'vigil', detector: { name: 'vigil-events', params: {} }, threshold: 0.99999 },
      });
      s = await s.reopen();
      expect(await s.configs.getConfig(5)).toEqual(
        rawConfig('ewma', { alpha: 0.2, nested: { k: [1, 'x'] } }, 0.95),
      );
      expect(await s.configs.getConfig(6)).toBeUndefined();
      expect([...(await s.configs.allConfigs()).keys()].sort()).toEqual([5, 8]);
      await s.close();
    });

    it('keeps a resampling with the config, and its removal', async () => {
      let s = await open();
      const resampled = rawConfig('ewma', {}, 0.9, { intervalMs: 60_000, aggregate: 'max' });
      await s.configs.setConfig(3, resampled);
      await s.configs.setConfig(4, { ...resampled, resample: { intervalMs: 10, aggregate: 'count' } });
      await s.configs.setConfig(4, rawConfig('ewma', {}, 0.9));
      s = await s.reopen();
      expect(await s.configs.getConfig(3)).toEqual(resampled);
      expect(await s.configs.getConfig(4)).toEqual(rawConfig('ewma', {}, 0.9));
      expect((await s.configs.allConfigs()).get(3)).toEqual(resampled);
      await s.close();
    });
  });
}
