/**
 * `POST /api/v1/series/replay`, "try it": a pipeline change, in the body PUT /api/v1/series/config
 * takes and validated the same way (a 400 names the field), replayed over the series' stored
 * points; the answer lists the anomalies it would have raised beside those stored for the same
 * span. Nothing changes, so the scope is `read`. The replay runs in a worker thread per request
 * (src/app/replay.ts says why), bounded by the tenant's query time budget.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { anomalyId } from '../../core/anomaly.ts';
import { VigilError } from '../../core/errors.ts';
import { PipelineDeclarationSchema } from '../../core/pipeline/declaration.ts';
import type { SeriesConfigChange } from '../../ports/meta-store.ts';
import { ConfigChangeProps, mustSeries, nn, type QueryRoutesOptions, timeParam } from './query-routes.ts';
import { tenantOf } from './tenant.ts';

/** Points one replay scores at most (the newest of the range); `maxPoints` may ask for fewer. */
export const REPLAY_MAX_POINTS = 100_000;
/** Anomalies listed at most of each kind (replayed, stored), the newest; `raised` counts them all. */
export const REPLAY_MAX_ANOMALIES = 10_000;

const Time = (d: string) => Type.Optional(Type.Union([Type.Integer(), Type.String()], { description: d }));

export async function replayRoutes(app: FastifyInstance, opts: QueryRoutesOptions): Promise<void> {
  app.post(
    '/api/v1/series/replay',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'Try a pipeline: replay it over the series’ stored points and list the anomalies it would have raised, beside the stored ones; changes nothing',
        description:
          `The body is PUT /api/v1/series/config's (a whole pipeline or the shorthand, merged onto the series' config; invalid: 400 naming the field) plus the range. ` +
          `At most the newest ${REPLAY_MAX_POINTS} points of from..to are replayed (\`truncated\` when the range holds more), through the live engine as \`vigil train\` backtests ` +
          `(feedback labels and resampling are not applied), in a worker thread; the time bound is the tenant's query budget (http.queryTimeoutMs, 503 past it, waiting included).`,
        tags: ['config'],
        querystring: Type.Object({
          series: Type.String({ description: 'canonical series key, e.g. cpu{host="a"}' }),
        }),
        body: Type.Object(
          {
            ...ConfigChangeProps,
            from: Time('epoch ms or RFC 3339, inclusive (absent: the first point)'),
            to: Time('epoch ms or RFC 3339, exclusive (absent: after the last point)'),
            maxPoints: Type.Optional(
              Type.Integer({
                minimum: 1,
                maximum: REPLAY_MAX_POINTS,
                description: `points replayed at most, the newest of the range (default and most: ${REPLAY_MAX_POINTS})`,
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            series: Type.String(),
            pipeline: PipelineDeclarationSchema,
            total: Type.Integer({ description: 'points in from..to' }),
            points: Type.Integer({ description: 'points replayed: the newest of the range' }),
            truncated: Type.Boolean({ description: 'the range holds more points than were replayed' }),
            from: Type.Optional(Type.Number({ description: 'the first replayed point (epoch ms)' })),
            to: Type.Optional(Type.Number({ description: 'the last replayed point (epoch ms), inclusive' })),
            raised: Type.Integer({ description: 'anomalies the pipeline would have raised' }),
            anomalies: Type.Array(
              Type.Object({
                start: Type.Number(),
                end: Type.Number(),
                peakScore: Type.Number(),
                points: Type.Integer(),
              }),
              { description: `the replay's anomalies, newest first, at most ${REPLAY_MAX_ANOMALIES}` },
            ),
            current: Type.Array(
              Type.Object({
                id: Type.String(),
                start: Type.Number(),
                end: Type.Number(),
                peakScore: Type.Number(),
                peakValue: Type.Number(),
                peakExpected: Type.Union([Type.Number(), Type.Null()]),
                points: Type.Integer(),
                detector: Type.String(),
                open: Type.Boolean(),
              }),
              {
                description: `the anomalies stored for the replayed span, newest first, at most ${REPLAY_MAX_ANOMALIES}`,
              },
            ),
          }),
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantOf(req);
      const b = opts.backend.forTenant(tenant);
      const s = await mustSeries(b, (req.query as { series: string }).series);
      const { from, to, maxPoints, ...change } = req.body as SeriesConfigChange & {
        from?: number | string;
        to?: number | string;
        maxPoints?: number;
      };
      const fromMs = timeParam(from === undefined ? undefined : String(from), 'from', 0);
      const toMs = timeParam(to === undefined ? undefined : String(to), 'to', Number.MAX_SAFE_INTEGER);
      const limits = opts.limits.queryOf(tenant);
      // The range limit the points route applies: a replay reads the range as it does.
      if (
        limits.maxRangeMs > 0 &&
        (from === undefined || to === undefined || toMs - fromMs > limits.maxRangeMs)
      ) {
        opts.limits.refused(tenant, 'queryMaxRangeMs');
        throw new VigilError(
          'VIGIL_ERR_QUERY_LIMIT',
          `from..to must be given and span at most limits.queryMaxRangeMs (${limits.maxRangeMs} ms) for tenant ${tenant}`,
          { location: { field: from === undefined ? 'from' : 'to' } },
        );
      }
      // A client that leaves before the answer stops its replay (the worker is terminated).
      const left = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) left.abort();
      });
      const r = await b.replay(s.id, change, {
        signal: left.signal,
        from: fromMs,
        to: toMs,
        maxPoints: maxPoints ?? REPLAY_MAX_POINTS,
        timeoutMs: limits.timeoutMs,
        maxAnomalies: REPLAY_MAX_ANOMALIES,
      });
      return {
        series: s.key,
        pipeline: r.pipeline,
        total: r.total,
        points: r.points,
        truncated: r.points < r.total,
        ...(r.first !== undefined ? { from: r.first } : {}),
        ...(r.last !== undefined ? { to: r.last } : {}),
        raised: r.raised,
        anomalies: r.anomalies,
        current: r.current.map((a) => ({
          id: anomalyId(a),
          start: a.start,
          end: a.end,
          peakScore: a.peakScore,
          peakValue: a.peakValue,
          peakExpected: nn(a.peakExpected),
          points: a.points,
          detector: a.detector,
          open: a.open,
        })),
      };
    },
  );
}
