/**
 * Quoting for InfluxQL text built from names Vigil does not control (metrics, tags, databases).
 * Inside `"identifiers"` and `'strings'` InfluxQL reads `\\`, `\"`, `\'` and `\n` as escapes and
 * rejects any other backslash pair, so every backslash and quote is escaped and nothing is left
 * for the parser to guess.
 */

function escapeQuoted(s: string): string {
  return s.replace(/[\\"'\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A double-quoted identifier: measurement, tag key, field key, database, retention policy. */
export function quoteIdent(name: string): string {
  return `"${escapeQuoted(name)}"`;
}

/** A single-quoted string literal, e.g. a tag value in `WHERE "host" = '…'`. */
export function quoteString(value: string): string {
  return `'${escapeQuoted(value)}'`;
}

/**
 * A time literal for `WHERE time …`: RFC 3339 with milliseconds, which InfluxQL of every version
 * accepts (duration-style `123ms` literals are a 1.x habit). `ms` MUST be an integer within
 * Date's range.
 */
export function timeLiteral(ms: number): string {
  return `'${new Date(ms).toISOString()}'`;
}
