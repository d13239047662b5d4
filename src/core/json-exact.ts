/**
 * JSON.parse with object keys that contain escapes decoded exactly.
 *
 * V8's JSON.parse (seen on Node 20 and 24 here, reported on 26) can decode an escaped object key
 * wrongly: when an earlier parse in the process left a hidden-class transition whose key equals
 * the raw, still-escaped text of the new key's first characters, the parser takes that transition.
 * After any object with a key `\\` (two backslashes), `{"n":"a","\\h":1}` comes back with the key
 * `\\` instead of `\h`; ingest then files the point under another series. nodejs/node#63785 (V8
 * issue 521080746), open when this was written.
 *
 * A text without a backslash cannot hit it and goes to JSON.parse alone. Any other is validated
 * by JSON.parse first (so callers keep reporting its syntax errors) and then decoded again here,
 * by a reader that assumes valid JSON and builds the same values: own `__proto__` properties,
 * the last of repeated names winning in the first one's place, numbers as `Number` reads them.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const ESCAPES: Record<number, string> = {
  34: '"',
  92: '\\',
  47: '/',
  98: '\b',
  102: '\f',
  110: '\n',
  114: '\r',
  116: '\t',
};

export function parseJsonExact(text: string): unknown {
  const value: unknown = JSON.parse(text);
  if (text.indexOf('\\') < 0) return value;
  return new Reader(text).value();
}

/** Reads a text JSON.parse accepted. */
class Reader {
  readonly #t: string;
  #p = 0;

  constructor(text: string) {
    this.#t = text;
  }

  #ws(): void {
    for (;;) {
      const c = this.#t.charCodeAt(this.#p);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.#p++;
    }
  }

  value(): unknown {
    this.#ws();
    const c = this.#t.charCodeAt(this.#p);
    if (c === OPEN_BRACE) return this.#object();
    if (c === OPEN_BRACKET) return this.#array();
    if (c === QUOTE) return this.#string();
    if (c === 0x74) return this.#literal('true', true);
    if (c === 0x66) return this.#literal('false', false);
    if (c === 0x6e) return this.#literal('null', null);
    return this.#number();
  }

  #literal<T>(word: string, value: T): T {
    this.#p += word.length;
    return value;
  }

  #object(): Record<string, unknown> {
    this.#p++; // {
    const out: Record<string, unknown> = {};
    this.#ws();
    if (this.#t.charCodeAt(this.#p) === CLOSE_BRACE) {
      this.#p++;
      return out;
    }
    for (;;) {
      this.#ws();
      const key = this.#string();
      this.#ws();
      this.#p++; // :
      const v = this.value();
      if (key === '__proto__') {
        // As JSON.parse: an own property named __proto__, not the prototype.
        Object.defineProperty(out, key, { value: v, writable: true, enumerable: true, configurable: true });
      } else {
        out[key] = v;
      }
      this.#ws();
      if (this.#t.charCodeAt(this.#p++) === CLOSE_BRACE) return out; // else ','
    }
  }

  #array(): unknown[] {
    this.#p++; // [
    const out: unknown[] = [];
    this.#ws();
    if (this.#t.charCodeAt(this.#p) === CLOSE_BRACKET) {
      this.#p++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.#ws();
      if (this.#t.charCodeAt(this.#p++) === CLOSE_BRACKET) return out; // else ','
    }
  }

  #string(): string {
    const t = this.#t;
    let from = ++this.#p; // after the opening quote
    let out = '';
    for (;;) {
      const c = t.charCodeAt(this.#p);
      if (c === QUOTE) {
        out += t.slice(from, this.#p++);
        return out;
      }
      if (c !== BACKSLASH) {
        this.#p++;
        continue;
      }
      out += t.slice(from, this.#p);
      const e = t.charCodeAt(this.#p + 1);
      if (e === 0x75) {
        out += String.fromCharCode(Number.parseInt(t.slice(this.#p + 2, this.#p + 6), 16));
        this.#p += 6;
      } else {
        out += ESCAPES[e]!;
        this.#p += 2;
      }
      from = this.#p;
    }
  }

  #number(): number {
    const t = this.#t;
    const from = this.#p;
    for (;;) {
      const c = t.charCodeAt(this.#p);
      // digits, '+', '-', '.', 'e', 'E'
      if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45) {
        this.#p++;
      } else {
        return Number(t.slice(from, this.#p));
      }
    }
  }
}
