import { describe, expect, it } from 'vitest';
import { encodeModelSpec } from '../../../../src/core/models/model.ts';
import {
  checkAlias,
  checkArtifactPath,
  checkModelFiles,
  checkTagKey,
  checkVersion,
  parseModelRefText,
} from '../../../../src/core/models/registry-names.ts';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'ok';
};

describe('registry names', () => {
  it('aliases follow MLflow: letters, digits, _ -; not latest or v<n>', () => {
    for (const ok of ['production', 'champion_2', 'a-b', 'V'])
      expect(codeOf(() => checkAlias(ok))).toBe('ok');
    for (const bad of ['', 'has space', 'a/b', 'latest', 'LATEST', 'v1', 'V12', 'x'.repeat(256)]) {
      expect(codeOf(() => checkAlias(bad))).toBe('VIGIL_ERR_BAD_MODEL');
    }
  });

  it('versions are positive integers without leading zeros', () => {
    for (const ok of ['1', '10', '999']) expect(codeOf(() => checkVersion(ok))).toBe('ok');
    for (const bad of ['0', '01', '-1', '1.0', 'x', ''])
      expect(codeOf(() => checkVersion(bad))).toBe('VIGIL_ERR_BAD_MODEL');
  });

  it('tag keys are 1–250 characters without control characters', () => {
    expect(codeOf(() => checkTagKey('candidate'))).toBe('ok');
    for (const bad of ['', 'a\nb', 'k'.repeat(251)])
      expect(codeOf(() => checkTagKey(bad))).toBe('VIGIL_ERR_BAD_MODEL');
  });

  it('artifact paths stay under their directory', () => {
    for (const ok of ['model.json', 'plots/a b.svg', 'a/b/c/.hidden', '..x']) {
      expect(codeOf(() => checkArtifactPath(ok))).toBe('ok');
    }
    for (const bad of ['', '/abs', '../up', 'a/../b', 'a//b', 'a/./b', 'a\\b', 'a/', 'nul\u0000']) {
      expect(codeOf(() => checkArtifactPath(bad))).toBe('VIGIL_ERR_BAD_MODEL');
    }
  });

  it('model files: model.json present, valid and naming the model; errors name the file', () => {
    const spec = {
      format: 'vigil-model' as const,
      formatVersion: 1 as const,
      name: 'cpu',
      selector: '{__name__="cpu"}',
      pipeline: { detector: { name: 'ewma' } },
    };
    expect(checkModelFiles('cpu', new Map([['model.json', encodeModelSpec(spec)]]), '/x').name).toBe('cpu');
    const message = (files: Map<string, Uint8Array>): string => {
      try {
        checkModelFiles('cpu', files, '/x');
      } catch (err) {
        return (err as Error).message;
      }
      return 'ok';
    };
    expect(message(new Map())).toContain('/x/model.json');
    expect(message(new Map([['model.json', new TextEncoder().encode('nope')]]))).toContain('/x/model.json');
    expect(message(new Map([['model.json', encodeModelSpec({ ...spec, name: 'mem' })]]))).toContain('"mem"');
  });

  it('parses NAME, NAME@ALIAS and NAME:VERSION', () => {
    expect(parseModelRefText('cpu')).toEqual({ name: 'cpu' });
    expect(parseModelRefText('cpu@production')).toEqual({ name: 'cpu', alias: 'production' });
    expect(parseModelRefText('cpu.v2:12')).toEqual({ name: 'cpu.v2', version: '12' });
    for (const bad of ['', '@production', 'cpu@', 'cpu:', 'cpu:x', 'cpu@a:1', '../x', 'cpu@v3']) {
      expect(codeOf(() => parseModelRefText(bad))).toBe('VIGIL_ERR_BAD_MODEL');
    }
  });
});
