/**
 * Cheap structural checks run over a JSON text before JSON.parse: nesting depth, and object keys
 * that repeat. JSON.parse of 16 MB of `[` took 1.2 s of main-thread CPU (V8 builds every array
 * before it finds the text truncated), and JSON.parse keeps the last of repeated keys, so
 * `{"value":1,"value":2}` was stored as 2 without a word. The scan is one pass, allocates only
 * the keys of the object it is in, and gives up silently on text that is not JSON: JSON.parse
 * then reports that with its own position.
 */
import { VigilError } from '../../core/errors.ts';
import { batchTooLarge, excerpt } from './batch.ts';
import { lineAndColumn } from './json-error.ts';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Throws VIGIL_ERR_BAD_JSON naming line and column (or `line` for an NDJSON line) when `text`
 * nests deeper than `maxDepth`, an object repeats a key, or an array holds more than `maxItems`
 * (VIGIL_ERR_BATCH_TOO_LARGE for the points array of a body, at depth 2).
 */
export function checkJsonShape(text: string, maxDepth: number, maxItems: number, line: number): void {
  // keys[d]: names seen in the object open at depth d (undefined for an array); items[d]: commas
  // seen in the array open at depth d.
  const keys: (Set<string> | undefined)[] = [];
  const items: number[] = [];
  let depth = 0;
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (end < 0) return;
      if (expectKey) {
        const set = keys[depth];
        const raw = text.slice(i + 1, end);
        const name = raw.indexOf('\\') < 0 ? raw : decodeString(text.slice(i, end + 1));
        if (name === undefined) return;
        if (set !== undefined) {
          if (set.has(name)) fail(text, i, line, `key \`${excerpt(name)}\` appears twice in one object`);
          set.add(name);
        }
        expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        fail(text, i, line, `nested deeper than ${maxDepth} levels, more than a body of points can be`);
      }
      keys[depth] = c === 0x7b ? new Set() : undefined;
      items[depth] = 0;
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (depth === 0) return;
      keys[depth] = undefined;
      depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      expectKey = keys[depth] !== undefined;
      if (!expectKey && ++items[depth]! >= maxItems) {
        if (line === 0 && depth === 2) {
          throw batchTooLarge(maxItems, `points[${maxItems}]`, { index: maxItems });
        }
        fail(text, i, line, `an array holds more than ${maxItems} items`);
      }
    }
  }
}

/** Index of the quote closing the string opened at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let slashes = 0;
    while (text.charCodeAt(q - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return q;
    i = q + 1;
  }
}

function decodeString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

function fail(text: string, offset: number, line: number, why: string): never {
  if (line > 0) {
    throw new VigilError('VIGIL_ERR_BAD_JSON', `line ${line}, column ${offset + 1}: ${why}`, {
      location: { line },
    });
  }
  const at = lineAndColumn(text, offset);
  throw new VigilError('VIGIL_ERR_BAD_JSON', `line ${at.line}, column ${at.column}: ${why}`, {
    location: { line: at.line },
  });
}
