/**
 * A text body decoded as UTF-8, refused with its line when it is not: decoding invalid bytes would
 * store U+FFFD in names and tag values, so a client's bytes would silently become another series.
 */
import { isUtf8 } from 'node:buffer';
import { type ErrorCode, VigilError } from '../../core/errors.ts';

export function utf8Text(body: unknown, code: ErrorCode): string {
  if (!(body instanceof Buffer)) return '';
  if (isUtf8(body)) return body.toString('utf8');
  const at = firstInvalidByte(body);
  let line = 1;
  for (let i = body.indexOf(10); i >= 0 && i < at; i = body.indexOf(10, i + 1)) line++;
  throw new VigilError(code, `line ${line}: invalid UTF-8 at byte ${at} of the body`, { location: { line } });
}

/** Offset of the first byte that does not belong to a well-formed UTF-8 sequence (RFC 3629). */
export function firstInvalidByte(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    let need: number;
    let min: number;
    if (c < 0x80) {
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cc = b[i + k];
      if (cc === undefined || (cc & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}
