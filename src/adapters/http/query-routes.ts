/** Query API: series search, points with scores and bands, anomalies, per-series detector config. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { MaintenanceWindow } from '../../core/alerting/maintenance.ts';
import { SilenceInputSchema } from '../../core/alerting/silences.ts';
import { type Anomaly, anomalyId } from '../../core/anomaly.ts';
import type { Downsampled } from '../../core/downsample.ts';
import { VigilError } from '../../core/errors.ts';
import { PipelineDeclarationSchema } from '../../core/pipeline/declaration.ts';
import type { StageState } from '../../core/pipeline/stage.ts';
import type { ScoredPoint } from '../../core/point.ts';
import { resampleSchema } from '../../core/resample.ts';
import { matches, parseSelector } from '../../core/selector.ts';
import { pipelineLabel } from '../../core/series-config.ts';
import type { SeriesConfig, SeriesConfigChange } from '../../ports/meta-store.ts';
import type { SeriesInfo } from '../../ports/series-catalog.ts';
import { QueryBudget } from './query-budget.ts';
import { tenantOf } from './tenant.ts';
import type { TenantLimits } from './tenant-limits.ts';

/** What the query routes need from the running system. */
export interface QueryBackend {
  series(): Promise<Iterable<SeriesInfo>>;
  seriesByKey(key: string): Promise<SeriesInfo | undefined>;
  seriesById(id: number): Promise<SeriesInfo | undefined>;
  points(seriesId: number, from: number, to: number): Promise<ScoredPoint[]>;
  /** `downsample(points(...), maxPoints)` with the count before it (core/downsample.ts). */
  downsampledPoints(seriesId: number, from: number, to: number, maxPoints: number): Promise<Downsampled>;
  anomalies(q: {
    seriesIds?: number[];
    from?: number;
    to?: number;
    minScore?: number;
    openOnly?: boolean;
    limit: number;
  }): Promise<Anomaly[]>;
  getConfig(seriesId: number): Promise<SeriesConfig>;
  /** What the series' running pipeline's post-rules learnt (their states); undefined where unknown. */
  learned(seriesId: number): Promise<StageState[] | undefined>;
  /** The maintenance windows covering the series, and whether one is in force now; absent: none. */
  maintenance?(seriesId: number): Promise<SeriesMaintenance | undefined>;
  setConfig(seriesId: number, config: SeriesConfigChange): Promise<SeriesConfig>;
  /** Deletes series with everything stored of them (./series-delete-routes.ts). */
  deleteSeries(seriesIds: number[]): Promise<SeriesDeletion>;
  detectorNames(): string[];
  /**
   * "Try it" (./replay-routes.ts): `change` merged onto the series' config as setConfig would
   * (invalid: the same 400 naming the field), replayed over the series' stored points in
   * `q.from..q.to` (the newest `q.maxPoints`), changing nothing.
   */
  replay(seriesId: number, change: SeriesConfigChange, q: ReplayQuery): Promise<SeriesReplay>;
}

export interface ReplayQuery {
  from: number;
  /** Exclusive, as for the points route. */
  to: number;
  /** Points replayed at most: the newest of the range. */
  maxPoints: number;
  /** The time the replay may take, waiting for a slot included (VIGIL_ERR_QUERY_TIMEOUT past it). */
  timeoutMs: number;
  /** Anomalies listed at most of each kind (replayed, stored): the newest. */
  maxAnomalies: number;
  /** Aborts when the client has gone away: the replay stops (VIGIL_ERR_QUERY_TIMEOUT). */
  signal?: AbortSignal;
}

/** An anomaly run a replayed pipeline raised. */
export interface ReplayedAnomaly {
  start: number;
  end: number;
  peakScore: number;
  points: number;
}

export interface SeriesReplay {
  /** The pipeline replayed: the change merged onto the series' config, resolved. */
  pipeline: SeriesConfig['pipeline'];
  /** Points in the range, and the newest of them replayed (at most maxPoints). */
  total: number;
  points: number;
  /** First and last replayed timestamp; absent when the range holds no point. */
  first?: number;
  last?: number;
  /** Runs the pipeline raised, newest first, at most maxAnomalies; `raised` counts them all. */
  anomalies: ReplayedAnomaly[];
  raised: number;
  /** The anomalies stored for the replayed span (first..last), newest first, at most maxAnomalies. */
  current: Anomaly[];
}

/** The maintenance windows covering a series (docs/alerting.md, "Maintenance windows"). */
export interface SeriesMaintenance {
  learningPaused: boolean;
  windows: MaintenanceWindow[];
}

/** What a deletion removed. */
export interface SeriesDeletion {
  series: number;
  /** Scored points, stored and not yet stored. */
  points: number;
  anomalies: number;
}

const Num = (description: string) => Type.Union([Type.Number(), Type.Null()], { description });

const SeriesOut = Type.Object({
  key: Type.String(),
  metric: Type.String(),
  tags: Type.Record(Type.String(), Type.String()),
});

const AnomalyOut = Type.Object({
  id: Type.String({ description: 'the anomaly id, `<seriesId>-<start>` (feedback and incidents name it)' }),
  series: Type.String(),
  start: Type.Number(),
  end: Type.Number(),
  peakScore: Type.Number(),
  peakValue: Type.Number(),
  peakExpected: Num('expected value at the peak'),
  direction: Type.String(),
  points: Type.Integer(),
  detector: Type.String(),
  model: Type.Optional(
    Type.Object(
      { name: Type.String(), version: Type.String() },
      {
        description:
          'the served model version whose pipeline scored the run (docs/models.md); absent: the default or a per-series config',
      },
    ),
  ),
  open: Type.Boolean(),
});

const Resample = resampleSchema(
  'score the series resampled to fixed buckets, each scored once the lateness has passed its end (absent: every point)',
);

/** The body of PUT /api/v1/series/config: a whole pipeline, or the shorthand; also what a replay takes. */
export const ConfigChangeProps = {
  pipeline: Type.Optional(PipelineDeclarationSchema),
  detector: Type.Optional(Type.String({ description: 'shorthand: a preset or detector name' })),
  params: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: "shorthand: the detector stage's params",
    }),
  ),
  threshold: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: "shorthand: the pipeline's threshold" }),
  ),
  resample: Type.Optional(Type.Union([Resample, Type.Null()])),
};

const ConfigOut = Type.Object({
  series: Type.String(),
  pipeline: PipelineDeclarationSchema,
  detector: Type.String({ description: "the pipeline's name (a preset's) or its detector's" }),
  params: Type.Record(Type.String(), Type.Unknown(), { description: "the detector stage's params" }),
  threshold: Type.Number({ description: "the pipeline's threshold" }),
  resample: Type.Optional(Resample),
  learned: Type.Optional(
    Type.Array(Type.Object({ stage: Type.String(), version: Type.Integer(), data: Type.Unknown() }), {
      description:
        "the running pipeline's post-rule states, in declaration order: e.g. the `feedback` stage's labels (data.examples) and points seen (data.seen); absent before the series' first point and for a pipeline without post-rules",
    }),
  ),
  maintenance: Type.Optional(
    Type.Object(
      {
        learningPaused: Type.Boolean({
          description: 'a window is in force now: points with a timestamp of now are scored without learning',
        }),
        windows: Type.Array(
          Type.Object({
            id: Type.String({ description: 'the silence id (/api/v1/silences)' }),
            startsAt: Type.Integer(),
            endsAt: Type.Integer(),
            recurrence: SilenceInputSchema.properties.recurrence,
          }),
        ),
      },
      {
        description:
          'maintenance windows (silences of kind `maintenance`) covering the series: points inside one are scored without learning and raise no anomaly; absent when none covers it',
      },
    ),
  ),
});

/** A config as the API shows it: the pipeline, and the fields of the shorthand for older clients. */
function configOut(series: string, c: SeriesConfig, learned?: StageState[], maintenance?: SeriesMaintenance) {
  return {
    ...(learned !== undefined && learned.length > 0 ? { learned } : {}),
    ...(maintenance !== undefined ? { maintenance } : {}),
    series,
    pipeline: c.pipeline,
    detector: pipelineLabel(c.pipeline),
    params: c.pipeline.detector.params ?? {},
    threshold: c.pipeline.threshold ?? Number.NaN,
    ...(c.resample !== undefined ? { resample: c.resample } : {}),
  };
}

export function timeParam(v: string | undefined, field: string, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', `${field} must be epoch ms or RFC 3339`, {
      location: { field },
    });
  }
  return t;
}

export async function mustSeries(b: QueryBackend, key: string): Promise<SeriesInfo> {
  const s = await b.seriesByKey(key);
  if (s === undefined) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `no series ${key}`, { location: { field: 'series' } });
  }
  return s;
}

export const nn = (x: number): number | null => (Number.isNaN(x) ? null : x);

/** The query side, scoped per request to the tenant it acts for (see core/series.ts TENANT_TAG). */
export interface TenantQueries {
  forTenant(tenant: string): QueryBackend;
}

export interface QueryRoutesOptions {
  backend: TenantQueries;
  /** What one query of a tenant may cost (limits.query*, http.queryTimeoutMs), and the refusal count. */
  limits: Pick<TenantLimits, 'queryOf' | 'refused'>;
}

export async function queryRoutes(app: FastifyInstance, opts: QueryRoutesOptions): Promise<void> {
  const scoped = (req: FastifyRequest): QueryBackend => opts.backend.forTenant(tenantOf(req));
  const budget = (req: FastifyRequest) => new QueryBudget(req, opts.limits.queryOf(tenantOf(req)).timeoutMs);

  app.get(
    '/api/v1/series',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'List series, optionally filtered by a Prometheus-style selector',
        tags: ['query'],
        querystring: Type.Object({
          match: Type.Optional(Type.String({ description: 'e.g. cpu{host="a",region=~"eu.*"}' })),
          limit: Type.Integer({ minimum: 1, maximum: 100000, default: 1000 }),
        }),
        response: { 200: Type.Object({ series: Type.Array(SeriesOut), truncated: Type.Boolean() }) },
      },
    },
    async (req) => {
      const b = scoped(req);
      const q = req.query as { match?: string; limit: number };
      const sel = q.match === undefined ? undefined : parseSelector(q.match);
      const out: { key: string; metric: string; tags: Record<string, string> }[] = [];
      let truncated = false;
      await budget(req).scan(await b.series(), (s) => {
        if (sel !== undefined && !matches(sel, s.metric, s.tags)) return true;
        if (out.length === q.limit) {
          truncated = true;
          return false;
        }
        out.push({ key: s.key, metric: s.metric, tags: { ...s.tags } });
        return true;
      });
      out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      return { series: out, truncated };
    },
  );

  app.get(
    '/api/v1/points',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Points of one series with scores and bands, downsampled to at most maxPoints',
        description:
          'Downsampling keeps each time bucket’s minimum and maximum and every anomalous point. ' +
          'Points become visible once checkpointed (engine.checkpointIntervalMs) or immediately from memory.',
        tags: ['query'],
        querystring: Type.Object({
          series: Type.String({ description: 'canonical series key, e.g. cpu{host="a"}' }),
          from: Type.Optional(Type.String({ description: 'epoch ms or RFC 3339, inclusive' })),
          to: Type.Optional(Type.String({ description: 'epoch ms or RFC 3339, exclusive' })),
          maxPoints: Type.Integer({ minimum: 2, maximum: 1_000_000, default: 2000 }),
        }),
        response: {
          200: Type.Object({
            series: Type.String(),
            total: Type.Integer({ description: 'points in range before downsampling' }),
            points: Type.Array(
              Type.Object({
                ts: Type.Number(),
                value: Type.Number(),
                score: Type.Number(),
                expected: Num('expected value'),
                lower: Num('band lower bound'),
                upper: Num('band upper bound'),
                anomalous: Type.Boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (req, reply) => {
      const b = scoped(req);
      const q = req.query as { series: string; from?: string; to?: string; maxPoints: number };
      const s = await mustSeries(b, q.series);
      const from = timeParam(q.from, 'from', 0);
      const to = timeParam(q.to, 'to', Number.MAX_SAFE_INTEGER);
      const tenant = tenantOf(req);
      const limits = opts.limits.queryOf(tenant);
      if (
        limits.maxRangeMs > 0 &&
        (q.from === undefined || q.to === undefined || to - from > limits.maxRangeMs)
      ) {
        opts.limits.refused(tenant, 'queryMaxRangeMs');
        throw new VigilError(
          'VIGIL_ERR_QUERY_LIMIT',
          `from..to must be given and span at most limits.queryMaxRangeMs (${limits.maxRangeMs} ms) for tenant ${tenant}`,
          { location: { field: q.from === undefined ? 'from' : 'to' } },
        );
      }
      const started = performance.now();
      const { total, points: pts } = await b.downsampledPoints(s.id, from, to, q.maxPoints);
      // The read and downsampling's share of the request, for a browser's resource timing.
      reply.header('server-timing', `read;dur=${(performance.now() - started).toFixed(1)}`);
      if (total > limits.maxPoints) {
        opts.limits.refused(tenant, 'queryMaxPoints');
        throw new VigilError(
          'VIGIL_ERR_QUERY_LIMIT',
          `the range holds ${total} points, more than limits.queryMaxPoints (${limits.maxPoints}) for tenant ${tenant}; narrow from..to`,
          { location: { field: 'from' } },
        );
      }
      return {
        series: s.key,
        total,
        points: pts.map((p) => ({
          ts: p.ts,
          value: p.value,
          score: p.score,
          expected: nn(p.expected),
          lower: nn(p.lower),
          upper: nn(p.upper),
          anomalous: p.anomalous,
        })),
      };
    },
  );

  app.get(
    '/api/v1/anomalies',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Anomalies (maximal runs of anomalous points), newest first',
        tags: ['query'],
        querystring: Type.Object({
          series: Type.Optional(Type.String({ description: 'one series key' })),
          match: Type.Optional(Type.String({ description: 'selector over series' })),
          from: Type.Optional(Type.String()),
          to: Type.Optional(Type.String()),
          minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          open: Type.Optional(Type.Boolean({ description: 'only anomalies still in progress' })),
          limit: Type.Integer({ minimum: 1, maximum: 10000, default: 100 }),
        }),
        response: { 200: Type.Object({ anomalies: Type.Array(AnomalyOut) }) },
      },
    },
    async (req) => {
      const b = scoped(req);
      const q = req.query as {
        series?: string;
        match?: string;
        from?: string;
        to?: string;
        minScore?: number;
        open?: boolean;
        limit: number;
      };
      let ids: number[] | undefined;
      if (q.series !== undefined) ids = [(await mustSeries(b, q.series)).id];
      if (q.match !== undefined) {
        const sel = parseSelector(q.match);
        const m: number[] = [];
        await budget(req).scan(await b.series(), (s) => {
          if (matches(sel, s.metric, s.tags)) m.push(s.id);
          return true;
        });
        ids = ids === undefined ? m : ids.filter((i) => m.includes(i));
      }
      const list = await b.anomalies({
        ...(ids !== undefined ? { seriesIds: ids } : {}),
        ...(q.from !== undefined ? { from: timeParam(q.from, 'from', 0) } : {}),
        ...(q.to !== undefined ? { to: timeParam(q.to, 'to', 0) } : {}),
        ...(q.minScore !== undefined ? { minScore: q.minScore } : {}),
        ...(q.open !== undefined ? { openOnly: q.open } : {}),
        limit: q.limit,
      });
      return {
        anomalies: await Promise.all(
          list.map(async (a) => ({
            id: anomalyId(a),
            series: (await b.seriesById(a.seriesId))?.key ?? String(a.seriesId),
            start: a.start,
            end: a.end,
            peakScore: a.peakScore,
            peakValue: a.peakValue,
            peakExpected: nn(a.peakExpected),
            direction: a.direction,
            points: a.points,
            detector: a.detector,
            ...(a.model !== undefined ? { model: { name: a.model.name, version: a.model.version } } : {}),
            open: a.open,
          })),
        ),
      };
    },
  );

  app.get(
    '/api/v1/series/config',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Detector configuration of one series (the default unless overridden)',
        tags: ['config'],
        querystring: Type.Object({ series: Type.String() }),
        response: { 200: ConfigOut },
      },
    },
    async (req) => {
      const b = scoped(req);
      const s = await mustSeries(b, (req.query as { series: string }).series);
      return configOut(s.key, await b.getConfig(s.id), await b.learned(s.id), await b.maintenance?.(s.id));
    },
  );

  app.put(
    '/api/v1/series/config',
    {
      config: { scope: 'configure' },
      schema: {
        summary:
          'Set the pipeline of one series (whole, or by the detector/params/threshold shorthand); its state restarts. Invalid: 400 naming the field, nothing changed',
        tags: ['config'],
        querystring: Type.Object({ series: Type.String() }),
        body: Type.Object(ConfigChangeProps, { additionalProperties: false }),
        response: { 200: ConfigOut },
      },
    },
    async (req) => {
      const b = scoped(req);
      const s = await mustSeries(b, (req.query as { series: string }).series);
      const body = req.body as SeriesConfigChange;
      return configOut(s.key, await b.setConfig(s.id, body));
    },
  );

  app.get(
    '/api/v1/detectors',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Names a series may select: presets and the detectors that are not building blocks',
        tags: ['config'],
        response: { 200: Type.Object({ detectors: Type.Array(Type.String()) }) },
      },
    },
    async (req) => ({ detectors: scoped(req).detectorNames() }),
  );
}
