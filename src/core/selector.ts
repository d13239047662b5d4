/**
 * Series selectors in Prometheus' syntax: `metric`, `metric{host="a"}`, `{region=~"eu-.*",env!="dev"}`.
 * Operators: = != =~ !~ (regexes are fully anchored, as in PromQL).
 */
import { VigilError } from './errors.ts';
import type { Tags } from './series.ts';

export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
  re?: RegExp;
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
    const matcher: Matcher = { name, op: op!, value };
    if (op === '=~' || op === '!~') {
      try {
        matcher.re = new RegExp(`^(?:${value})$`);
      } catch {
        fail(`invalid regular expression for ${name}`);
      }
    }
    if (name === '__name__' && op === '=') sel.metric = value;
    else sel.matchers.push(matcher);
  }
  return sel;
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
