/**
 * Checkpoints of the scaled-out detectors on PostgreSQL, one CheckpointStore per log partition.
 *
 * `commit` of partition P: (1) the scored points go to the PointSink (InfluxDB in production), then
 * (2) one primary transaction upserts the anomalies on (series, start), the states of the series
 * (recorded as P's) and P's offset. Step 1 is idempotent, so a crash between the steps only means
 * the replay from the older offset writes the same points again; once step 2 commits, anomalies,
 * states and offset agree. `load` reads P's offset and the states stored under P in one snapshot
 * of the primary (authoritative: never a lagging replica).
 *
 * A commit whose offset is below the stored one is refused (VIGIL_ERR_STORAGE), as the Redis
 * checkpoint states do: a stale writer (a task that lost its partition without noticing yet)
 * would otherwise pair older offsets with newer states, and a replay would apply points twice. The
 * same offset again is accepted, so retrying a commit whose reply was lost is harmless.
 */
import type { Anomaly } from '../../core/anomaly.ts';
import { VigilError } from '../../core/errors.ts';
import type { Checkpoint, CheckpointData, CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { PointSink } from '../../ports/point-store.ts';
import { float8, int } from './codec.ts';
import type { PgPools, Query } from './pools.ts';

export class PgCheckpoints {
  readonly #pools: PgPools;
  readonly #sink: PointSink;

  /** Does not own `pools` or `sink`. */
  constructor(pools: PgPools, sink: PointSink) {
    this.#pools = pools;
    this.#sink = sink;
  }

  /** The checkpoints of one partition (a name unique in the deployment, e.g. `points-3` or `3`). */
  forPartition(partition: string | number): CheckpointStore {
    return new PartitionCheckpoints(this.#pools, this.#sink, String(partition));
  }
}

class PartitionCheckpoints implements CheckpointStore {
  readonly #pools: PgPools;
  readonly #sink: PointSink;
  readonly #partition: string;

  constructor(pools: PgPools, sink: PointSink, partition: string) {
    this.#pools = pools;
    this.#sink = sink;
    this.#partition = partition;
  }

  async commit(data: CheckpointData): Promise<void> {
    let points = 0;
    for (const cols of data.points.values()) points += cols.length;
    if (points > 0) await this.#sink.write(data.points);
    await this.#pools.write(`checkpoint of partition ${this.#partition}`, async (query) => {
      // The upsert locks P's row, so two writers of one partition are serialised; the WHERE
      // leaves it alone (no row returned) when a later checkpoint is stored.
      const moved = await query(
        `INSERT INTO checkpoint_offsets (partition, log_offset) VALUES ($1, $2)
         ON CONFLICT (partition) DO UPDATE SET log_offset = EXCLUDED.log_offset
         WHERE checkpoint_offsets.log_offset <= EXCLUDED.log_offset
         RETURNING log_offset`,
        [this.#partition, data.offset],
      );
      if (moved.length === 0) {
        const stored = await query('SELECT log_offset FROM checkpoint_offsets WHERE partition = $1', [
          this.#partition,
        ]);
        throw new VigilError(
          'VIGIL_ERR_STORAGE',
          `postgres checkpoint of partition ${this.#partition}: refusing offset ${data.offset}, ` +
            `${int(stored[0]?.log_offset)} is already committed`,
        );
      }
      await upsertAnomalies(query, data.anomalies);
      if (data.states.size > 0) {
        await query(
          `INSERT INTO checkpoint_states (series_id, partition, state)
           SELECT s, $1::text, t FROM unnest($2::int[], $3::text[]) AS u(s, t)
           ON CONFLICT (series_id) DO UPDATE SET partition = EXCLUDED.partition, state = EXCLUDED.state`,
          [this.#partition, [...data.states.keys()], [...data.states.values()]],
        );
      }
    });
  }

  async load(): Promise<Checkpoint> {
    return this.#pools.snapshot(`load checkpoint of partition ${this.#partition}`, async (query) => {
      const offset = await query('SELECT log_offset FROM checkpoint_offsets WHERE partition = $1', [
        this.#partition,
      ]);
      const rows = await query('SELECT series_id, state FROM checkpoint_states WHERE partition = $1', [
        this.#partition,
      ]);
      return {
        offset: offset.length === 0 ? 0 : int(offset[0]!.log_offset),
        states: new Map(rows.map((r) => [int(r.series_id), r.state as string])),
      };
    });
  }
}

/** One statement for all anomalies; the last of several with the same (series, start) wins. */
async function upsertAnomalies(query: Query, list: readonly Anomaly[]): Promise<void> {
  if (list.length === 0) return;
  // ON CONFLICT DO UPDATE refuses to touch one row twice in a statement.
  const latest = new Map<string, Anomaly>();
  for (const a of list) latest.set(`${a.seriesId}:${a.start}`, a);
  const rows = [...latest.values()];
  await query(
    `INSERT INTO anomalies
       (series_id, start_ms, end_ms, peak_score, peak_value, peak_expected, direction, points, detector, open)
     SELECT * FROM unnest($1::int[], $2::bigint[], $3::bigint[], $4::float8[], $5::float8[], $6::float8[],
                          $7::text[], $8::int[], $9::text[], $10::bool[])
     ON CONFLICT (series_id, start_ms) DO UPDATE SET
       end_ms = EXCLUDED.end_ms, peak_score = EXCLUDED.peak_score, peak_value = EXCLUDED.peak_value,
       peak_expected = EXCLUDED.peak_expected, direction = EXCLUDED.direction, points = EXCLUDED.points,
       detector = EXCLUDED.detector, open = EXCLUDED.open`,
    [
      rows.map((a) => a.seriesId),
      rows.map((a) => a.start),
      rows.map((a) => a.end),
      rows.map((a) => float8(a.peakScore)),
      rows.map((a) => float8(a.peakValue)),
      rows.map((a) => (Number.isNaN(a.peakExpected) ? null : float8(a.peakExpected))),
      rows.map((a) => a.direction),
      rows.map((a) => a.points),
      rows.map((a) => a.detector),
      rows.map((a) => a.open),
    ],
  );
}
