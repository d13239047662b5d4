/**
 * Where a JSON text stops being valid. JSON.parse's message does not always carry a position
 * (V8: "Unexpected token 'x', "…" is not valid JSON"), so after it fails this validator rescans
 * the text to name the line and column. Only ever run on the error path.
 */

/** Offset of the first character that makes `text` invalid JSON (text.length for a truncated text), or -1. */
export function jsonErrorOffset(text: string): number {
  const n = text.length;
  // Open containers: '{' or '['. `expect` is what may come next at `i`.
  const stack: number[] = [];
  let expect: 'value' | 'key' | 'keyOrEnd' | 'valueOrEnd' | 'colon' | 'commaOrEnd' | 'done' = 'value';
  let i = 0;
  for (;;) {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      i++;
    }
    if (i >= n) return expect === 'done' ? -1 : n;
    const c = text[i]!;
    switch (expect) {
      case 'done':
        return i;
      case 'colon':
        if (c !== ':') return i;
        i++;
        expect = 'value';
        continue;
      case 'commaOrEnd': {
        const open = stack[stack.length - 1];
        if (c === ',') {
          i++;
          expect = open === 123 ? 'key' : 'value';
        } else if ((c === '}' && open === 123) || (c === ']' && open === 91)) {
          i++;
          stack.pop();
          expect = stack.length === 0 ? 'done' : 'commaOrEnd';
        } else {
          return i;
        }
        continue;
      }
      case 'key':
      case 'keyOrEnd':
        if (c === '}' && expect === 'keyOrEnd') {
          i++;
          stack.pop();
          expect = stack.length === 0 ? 'done' : 'commaOrEnd';
          continue;
        }
        if (c !== '"') return i;
        i = stringEnd(text, i);
        if (i < 0) return -i - 1;
        expect = 'colon';
        continue;
      default: {
        if (c === ']' && expect === 'valueOrEnd') {
          i++;
          stack.pop();
          expect = stack.length === 0 ? 'done' : 'commaOrEnd';
          continue;
        }
        if (c === '{' || c === '[') {
          stack.push(c.charCodeAt(0));
          i++;
          expect = c === '{' ? 'keyOrEnd' : 'valueOrEnd';
          continue;
        }
        const end = c === '"' ? stringEnd(text, i) : literalEnd(text, i);
        if (end < 0) return -end - 1;
        i = end;
        expect = stack.length === 0 ? 'done' : 'commaOrEnd';
      }
    }
  }
}

/** End of the string opening at `i`, or -(offset of the fault) - 1. */
function stringEnd(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c < 32) return -i - 1;
    if (c === 92) {
      const e = text[i + 1];
      if (e === 'u') {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return -i - 1;
        i += 5;
      } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
        i++;
      } else {
        return -i - 1;
      }
    }
  }
  return -text.length - 1;
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** End of the number or true/false/null at `i`, or -(offset of the fault) - 1. */
function literalEnd(text: string, i: number): number {
  for (const word of ['true', 'false', 'null']) {
    if (text.startsWith(word, i)) return i + word.length;
  }
  NUMBER.lastIndex = i;
  const m = NUMBER.exec(text);
  return m === null ? -i - 1 : i + m[0].length;
}

/** 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
