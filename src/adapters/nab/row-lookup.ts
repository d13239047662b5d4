/** Label timestamps to rows: a label names the first row whose timestamp equals it. */
import { VigilError } from '../../core/errors.ts';
import { parseNabTimestamp } from './nab-timestamp.ts';

/**
 * Maps a label timestamp (NAB's form, or ISO with a trailing `Z` as UTC) to the first row with
 * an equal timestamp; throws VIGIL_ERR_BAD_JSON naming the file when there is none.
 */
export function firstRowLookup(
  ts: Float64Array,
  labelPath: string,
  name: string,
): (label: unknown) => number {
  const first = new Map<number, number>();
  for (let i = ts.length - 1; i >= 0; i--) first.set(ts[i]!, i);
  return (label) => {
    const row = typeof label === 'string' ? first.get(parseNabTimestamp(label.replace(/Z$/, ''))) : undefined;
    if (row === undefined) {
      throw new VigilError(
        'VIGIL_ERR_BAD_JSON',
        `${labelPath}: ${name}: no row has timestamp ${JSON.stringify(label)}`,
        {
          location: { field: name },
        },
      );
    }
    return row;
  };
}
