/** `http.tls`: the certificate and key files, read once at start with errors that name the key. */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { VigilError } from '../core/errors.ts';

export function tlsFiles(
  config: Readonly<Config>,
): { tls: { cert: Buffer; key: Buffer } } | Record<string, never> {
  const t = config.http.tls;
  if (t === undefined) return {};
  const read = (path: string, key: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `http.tls.${key}: cannot read ${path}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  };
  return { tls: { cert: read(t.certFile, 'certFile'), key: read(t.keyFile, 'keyFile') } };
}
