/**
 * Values between JavaScript and PostgreSQL columns, exact both ways. `pg` returns `bigint` as a
 * string (it may exceed 2^53; ours, epoch ms and offsets, never do) and parses `double precision`
 * with parseFloat, which reads PostgreSQL's shortest round-trip output exactly, -0, NaN and
 * ±Infinity included.
 */

/** A `bigint`/`integer` column as a number. */
export const int = (v: unknown): number => Number(v);

/**
 * A float for a `double precision[]` parameter. pg would write -0 as "0"; PostgreSQL reads
 * every other spelling of `String(x)` (exponents, NaN, ±Infinity) back to the same double.
 */
export const float8 = (x: number): string => (Object.is(x, -0) ? '-0' : String(x));

/** A nullable `double precision` column; NULL stands for NaN (a detector without a band). */
export const floatOrNaN = (v: unknown): number => (v === null ? Number.NaN : (v as number));
