/**
 * A chart's range read from the embedded store (the engine thread's 'downsampled' call): the
 * stored chunks, rolled up where they lie wholly in the range (core/rollup.ts), plus the unsaved
 * tail, downsampled to at most `maxPoints`; every row of the range when the rollups do not apply
 * (zoomed in, late points, or none written).
 */
import { downsampleColumns, downsampleParts, type RangePart } from '../core/downsample.ts';
import { PointColumns } from '../core/point-columns.ts';

/** What the read needs of the store (SqliteStoreDb). */
export interface ChunkReader {
  chunkParts(seriesId: number, from: number, to: number): Promise<RangePart[]>;
  chunkColumns(seriesId: number, from: number, to: number): Promise<PointColumns[]>;
}

export async function readDownsampled(
  store: ChunkReader,
  tail: PointColumns,
  seriesId: number,
  from: number,
  to: number,
  maxPoints: number,
): Promise<{ total: number; kept: PointColumns }> {
  const parts = await store.chunkParts(seriesId, from, to);
  const rows = parts.filter((p) => p instanceof PointColumns);
  if (rows.length === parts.length) return downsampleColumns([...rows, tail], from, to, maxPoints);
  return (
    downsampleParts([...parts, tail], from, to, maxPoints) ??
    downsampleColumns([...(await store.chunkColumns(seriesId, from, to)), tail], from, to, maxPoints)
  );
}
