/**
 * Maintenance windows as the engine takes them: which series each `kind: 'maintenance'` silence
 * covers, resolved once per change of the windows or of the series (never per point), and whether
 * a point's timestamp falls inside one of a series' windows. A point inside is scored but not
 * learned from (Engine, "skip model update"). Tenant-scoped: a window covers only its own tenant's
 * series, matched on the tags that tenant's clients see (without TENANT_TAG), as silences match.
 */
import { matches, parseSelector, type Selector } from '../selector.ts';
import { type Tags, tenantOfTags, withoutTenant } from '../series.ts';
import { activeAt, type Silence } from './silences.ts';

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

/** Whether one of a series' windows is in force at `ts`: its point there must not train it. */
export function inMaintenance(windows: readonly MaintenanceWindow[], ts: number): boolean {
  for (const w of windows) if (activeAt(w, ts)) return true;
  return false;
}
