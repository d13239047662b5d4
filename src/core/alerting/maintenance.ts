/**
 * Maintenance windows as the engine takes them: which series each `kind: 'maintenance'` silence
 * covers, resolved once per change of the windows or of the series (never per point), and whether
 * a point's timestamp falls inside one of a series' windows. A point inside is scored but not
 * learned from (Engine, "skip model update"). Tenant-scoped: a window covers only its own tenant's
 * series, matched on the tags that tenant's clients see (without TENANT_TAG), as silences match.
 */
import { matches, parseSelector, type Selector } from '../selector.ts';
import { type Tags, tenantOfTags, withoutTenant } from '../series.ts';
import type { Silence } from './silences.ts';

const DAY_MS = 86_400_000;

/** The times of one window, as the engine keeps them per series (no selector: already resolved). */
export type MaintenanceWindow = Pick<Silence, 'id' | 'startsAt' | 'endsAt' | 'recurrence'>;

/** The windows of one tenant with their selectors parsed. */
type ByTenant = Map<string, { selector: Selector; window: MaintenanceWindow }[]>;

/** The maintenance windows among `silences` (plain silences only mute notifications), by tenant. */
function maintenanceByTenant(silences: readonly Silence[]): ByTenant {
  const out: ByTenant = new Map();
  for (const s of silences) {
    if (s.kind !== 'maintenance') continue;
    const window: MaintenanceWindow = { id: s.id, startsAt: s.startsAt, endsAt: s.endsAt };
    if (s.recurrence !== undefined) window.recurrence = s.recurrence;
    const list = out.get(s.tenant) ?? [];
    list.push({ selector: parseSelector(s.match), window });
    out.set(s.tenant, list);
  }
  return out;
}

/**
 * Each series covered by at least one maintenance window, with its windows (series ids absent
 * from the map have none). `series` are stored series: their tags carry the tenant tag.
 */
export function maintenanceCoverage(
  silences: readonly Silence[],
  series: Iterable<{ id: number; metric: string; tags: Tags }>,
): Map<number, MaintenanceWindow[]> {
  const byTenant = maintenanceByTenant(silences);
  const out = new Map<number, MaintenanceWindow[]>();
  if (byTenant.size === 0) return out;
  for (const s of series) {
    const windows = byTenant.get(tenantOfTags(s.tags));
    if (windows === undefined) continue;
    const own = withoutTenant(s.tags);
    const covering = windows.filter((w) => matches(w.selector, s.metric, own)).map((w) => w.window);
    if (covering.length > 0) out.set(s.id, covering);
  }
  return out;
}

/**
 * A series' windows compiled for the per-point check: `covers(ts)` is `activeAt` (silences.ts) of
 * any window, with the recurrence's start time and days parsed once, so a point pays arithmetic
 * only (parsing them per point cost a covered series five times its scoring).
 */
export class MaintenanceSet {
  readonly windows: readonly MaintenanceWindow[];
  readonly #checks: ((ts: number) => boolean)[];

  constructor(windows: readonly MaintenanceWindow[]) {
    this.windows = windows;
    this.#checks = windows.map(compileWindow);
  }

  /** Whether one of the windows is in force at `ts`: the point there must not train the series. */
  covers(ts: number): boolean {
    for (const c of this.#checks) if (c(ts)) return true;
    return false;
  }
}

function compileWindow(w: MaintenanceWindow): (ts: number) => boolean {
  const { startsAt, endsAt } = w;
  const r = w.recurrence;
  if (r === undefined) return (t) => t >= startsAt && t < endsAt;
  const [hh, mm] = r.start.split(':').map(Number) as [number, number];
  const offset = (hh * 60 + mm) * 60_000;
  const duration = r.durationMs;
  const onDay = Array.from({ length: 7 }, (_, d) => r.days.includes(d));
  // A window that began on an earlier day may still be open: look back as far as one can last.
  const daysBack = Math.ceil((duration + DAY_MS) / DAY_MS);
  return (t) => {
    if (t < startsAt || t >= endsAt) return false;
    const today = Math.floor(t / DAY_MS);
    for (let back = 0; back < daysBack; back++) {
      const day = today - back;
      // 1970-01-01 was a Thursday (4).
      if (!onDay[(((day + 4) % 7) + 7) % 7]) continue;
      const from = day * DAY_MS + offset;
      if (t >= from && t < from + duration) return true;
    }
    return false;
  };
}
