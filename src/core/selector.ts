/**
 * Series selectors in Prometheus' syntax: `metric`, `metric{host="a"}`, `{region=~"eu-.*",env!="dev"}`.
 * Operators: = != =~ !~ (regexes are fully anchored, as in PromQL).
 *
 * Regexes use RE2 syntax and run on re2js, a linear-time engine, as Prometheus does: a selector
 * comes from an unauthenticated query string, and V8's backtracking engine takes exponential time
 * on patterns like `(a+)+` (a 27-character tag value froze the server for 3 s).
 */
import { RE2JS } from 're2js';
import { VigilError } from './errors.ts';
import type { Tags } from './series.ts';

export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  re?: FullMatcher;
}

/** A compiled, fully anchored regex; linear in the length of the input. */
export interface FullMatcher {
  test(input: string): boolean;
}

/** The longest regex a selector may carry; RE2 compiles in time and memory linear in it. */
export const MAX_SELECTOR_REGEX = 4096;

function compileFull(pattern: string): FullMatcher {
  const re = RE2JS.compile(pattern);
  return { test: (input) => re.matches(input) };
}

export interface Selector {
  metric?: string;
  matchers: Matcher[];
}

const NAME = /^[^{}=!~,"\s]+/;

export function parseSelector(text: string): Selector {
  const fail = (why: string): never => {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', `invalid selector ${JSON.stringify(text)}: ${why}`, {
      location: { field: 'match' },
    });
  };
  let s = text.trim();
  const sel: Selector = { matchers: [] };
  const m = NAME.exec(s);
  if (m !== null) {
    sel.metric = m[0];
    s = s.slice(m[0].length).trim();
  }
  if (s.length === 0) {
    if (sel.metric === undefined) fail('empty');
    return sel;
  }
  if (s[0] !== '{' || s[s.length - 1] !== '}') fail('expected {…} after the metric name');
  let i = 1;
  const body = s.slice(0, -1);
  while (i < body.length) {
    while (body[i] === ' ' || body[i] === ',') i++;
    if (i >= body.length) break;
    const nm = NAME.exec(body.slice(i));
    if (nm === null) fail(`expected a tag name at position ${i}`);
    const name = nm![0];
    i += name.length;
    const op = (['=~', '!~', '!=', '='] as const).find((o) => body.startsWith(o, i));
    if (op === undefined) fail(`expected = != =~ or !~ after ${name}`);
    i += op!.length;
    if (body[i] !== '"') fail(`expected a quoted value for ${name}`);
    i++;
    let value = '';
    while (i < body.length && body[i] !== '"') {
      if (body[i] === '\\' && i + 1 < body.length) {
        value += body[i + 1] === 'n' ? '\n' : body[i + 1];
        i += 2;
      } else value += body[i++];
    }
    if (body[i] !== '"') fail(`unterminated value for ${name}`);
    i++;
    let matcher: Matcher;
    try {
      matcher = compileMatcher(name, op!, value);
    } catch (e) {
      fail((e as Error).message);
    }
    if (name === '__name__' && op === '=') sel.metric = value;
    else sel.matchers.push(matcher!);
  }
  return sel;
}

/**
 * One matcher, its regex compiled (fully anchored, RE2). Throws an Error saying what is wrong
 * with the regex (too long, invalid); callers wrap it in their own VigilError.
 */
export function compileMatcher(name: string, op: Matcher['op'], value: string): Matcher {
  const matcher: Matcher = { name, op, value };
  if (op === '=~' || op === '!~') {
    if (value.length > MAX_SELECTOR_REGEX)
      throw new Error(`regular expression for ${name} is longer than ${MAX_SELECTOR_REGEX}`);
    try {
      matcher.re = compileFull(value);
    } catch (e) {
      throw new Error(`invalid regular expression for ${name} (RE2 syntax): ${(e as Error).message}`);
    }
  }
  return matcher;
}

export function matches(sel: Selector, metric: string, tags: Tags): boolean {
  if (sel.metric !== undefined && sel.metric !== metric) return false;
  for (const m of sel.matchers) {
    const v = m.name === '__name__' ? metric : (tags[m.name] ?? '');
    switch (m.op) {
      case '=':
        if (v !== m.value) return false;
        break;
      case '!=':
        if (v === m.value) return false;
        break;
      case '=~':
        if (!m.re!.test(v)) return false;
        break;
      case '!~':
        if (m.re!.test(v)) return false;
        break;
    }
  }
  return true;
}
