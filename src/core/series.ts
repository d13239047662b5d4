/**
 * Series identity. A series is a metric name plus a set of tags; its canonical key sorts the tags
 * and escapes values, so equal series always produce the same key string. The key is what the log
 * is partitioned by and what stores index.
 */
import { VigilError } from './errors.ts';

export type Tags = Readonly<Record<string, string>>;

export interface SeriesLimits {
  maxTagsPerSeries: number;
  maxNameLength: number;
  maxTagValueLength: number;
}

export const DEFAULT_SERIES_LIMITS: SeriesLimits = {
  maxTagsPerSeries: 32,
  maxNameLength: 256,
  maxTagValueLength: 1024,
};

// Control characters would make keys ambiguous in logs and line protocol output.
const CONTROL = /[\u0000-\u001f\u007f]/;
// Names holding a character that delimits the key are written quoted, so that two different
// series never share a key (metric `a{b="c"}` vs metric `a` with tag b=c).
const NEEDS_QUOTES = /[{}=,"\\\s]/;

/** A metric or tag name as written in a series key: bare, or quoted where it holds a delimiter. */
export function keyName(n: string): string {
  return NEEDS_QUOTES.test(n) ? `"${n.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"` : n;
}

const NEEDS_ESCAPE = /[\\"\n]/;

function escapeValue(v: string): string {
  // Most values need no escaping; testing first avoids building a new string.
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/**
 * Canonical key: `metric{a="1",b="2"}` with tag names sorted by code unit; `metric` with no tags.
 * A metric or tag name containing any of `{}=,"\` or whitespace is written quoted (`"my metric"`).
 */
export function seriesKey(metric: string, tags: Tags): string {
  const names = Object.keys(tags);
  if (names.length === 0) return keyName(metric);
  names.sort();
  let out = `${keyName(metric)}{`;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    if (i > 0) out += ',';
    out += `${keyName(n)}="${escapeValue(tags[n]!)}"`;
  }
  return `${out}}`;
}

/** Parses a canonical key back into metric and tags. Inverse of {@link seriesKey}. */
export function parseSeriesKey(key: string): { metric: string; tags: Record<string, string> } {
  let i = 0;
  // Reads a quoted string starting at key[i] === '"'; leaves i after the closing quote. The runs
  // between escapes are slices of the key: built a character at a time, a value of 13 characters
  // or more was a chain of cons strings, which the series catalog keeps (a 123-character key with
  // four labels held 1.4 KB of its heap instead of 0.5 KB, issue 19).
  const quoted = (): string => {
    const start = ++i;
    let value = '';
    let from = start;
    while (i < key.length && key[i] !== '"') {
      if (key[i] === '\\') {
        const next = key[i + 1];
        value += key.slice(from, i) + (next === 'n' ? '\n' : next);
        i += 2;
        from = i;
      } else i++;
    }
    value = from === start ? key.slice(start, i) : value + key.slice(from, i);
    i++;
    return value;
  };
  let metric: string;
  if (key[0] === '"') metric = quoted();
  else {
    const brace = key.indexOf('{');
    metric = brace < 0 ? key : key.slice(0, brace);
    i = metric.length;
  }
  const tags: Record<string, string> = {};
  if (key[i] !== '{') return { metric, tags };
  i++;
  while (i < key.length && key[i] !== '}') {
    let n: string;
    if (key[i] === '"') n = quoted();
    else {
      const eq = key.indexOf('=', i);
      n = key.slice(i, eq);
      i = eq;
    }
    i++; // =
    tags[n] = quoted();
    if (key[i] === ',') i++;
  }
  return { metric, tags };
}

/**
 * Validates metric and tag names/values against the limits. Throws VIGIL_ERR_BAD_POINT or
 * VIGIL_ERR_TOO_MANY_TAGS naming the field; `where` locates the point in its request.
 */
/**
 * Tenants live in the series key: a series of tenant `acme` carries the tag `__tenant__="acme"`,
 * so its key, and with it the catalog row, the Kafka message key, the InfluxDB tags and every row
 * keyed by series id, differs from any other tenant's. The default tenant's series carry no such
 * tag (their keys are as before tenants existed). Clients never send or see the tag: ingest refuses
 * it (validateSeries) and adds it from the request's tenant; queries strip it.
 */
export const TENANT_TAG = '__tenant__';
export const DEFAULT_TENANT = 'default';

/** The series' tags as stored for `tenant`. */
export function tagsOfTenant(tags: Tags, tenant: string): Tags {
  return tenant === DEFAULT_TENANT ? tags : { ...tags, [TENANT_TAG]: tenant };
}

/** The tenant a stored series belongs to. */
export function tenantOfTags(tags: Tags): string {
  return tags[TENANT_TAG] ?? DEFAULT_TENANT;
}

/** Stored tags as the tenant's clients see them. */
export function withoutTenant(tags: Tags): Tags {
  if (!(TENANT_TAG in tags)) return tags;
  const { [TENANT_TAG]: _, ...rest } = tags;
  return rest;
}

/**
 * True when a series key names the tenant tag: such a key may not take ingest's known-series
 * shortcut, which skips validateSeries. Names and metric names cannot hold `="`, and a tag value
 * holding the text has its quote escaped, so the substring identifies the tag.
 */
export function namesTenantTag(key: string): boolean {
  return key.includes('__tenant__="');
}

export function validateSeries(
  metric: string,
  tags: Tags,
  limits: SeriesLimits,
  where: { index?: number; line?: number },
): void {
  if (metric.length === 0) {
    throw new VigilError('VIGIL_ERR_BAD_POINT', 'metric must be a non-empty string', {
      location: { ...where, field: 'metric' },
    });
  }
  if (metric.length > limits.maxNameLength || CONTROL.test(metric)) {
    throw new VigilError(
      'VIGIL_ERR_BAD_POINT',
      `metric must be at most ${limits.maxNameLength} characters without control characters`,
      { location: { ...where, field: 'metric' } },
    );
  }
  let count = 0;
  for (const name in tags) {
    count++;
    if (count > limits.maxTagsPerSeries) {
      throw new VigilError(
        'VIGIL_ERR_TOO_MANY_TAGS',
        `series has more than ${limits.maxTagsPerSeries} tags (ingest.maxTagsPerSeries)`,
        { location: { ...where, field: 'tags' } },
      );
    }
    const value = tags[name]!;
    if (name === TENANT_TAG) {
      throw new VigilError(
        'VIGIL_ERR_BAD_POINT',
        `tag ${TENANT_TAG} is reserved: a series' tenant comes from the request's API key`,
        { location: { ...where, field: `tags.${name}` } },
      );
    }
    if (name.length === 0 || name.length > limits.maxNameLength || CONTROL.test(name)) {
      throw new VigilError(
        'VIGIL_ERR_BAD_POINT',
        `tag name must be 1..${limits.maxNameLength} characters without control characters`,
        { location: { ...where, field: `tags.${name}` } },
      );
    }
    if (typeof value !== 'string') {
      throw new VigilError('VIGIL_ERR_BAD_POINT', 'tag value must be a string', {
        location: { ...where, field: `tags.${name}` },
      });
    }
    if (value.length === 0 || value.length > limits.maxTagValueLength || CONTROL.test(value)) {
      throw new VigilError(
        'VIGIL_ERR_BAD_POINT',
        `tag value must be 1..${limits.maxTagValueLength} characters without control characters`,
        { location: { ...where, field: `tags.${name}` } },
      );
    }
  }
}
