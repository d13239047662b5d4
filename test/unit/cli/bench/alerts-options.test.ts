/**
 * `vigil bench alerts`: its options checked per flag, the result file chosen by mode, the table's
 * shape and goal line, and what `scripts/cluster.mjs up` prints parsed into the endpoints the
 * cluster mode uses.
 */
import { describe, expect, it } from 'vitest';
import { parseClusterOutput } from '../../../../src/cli/bench/alerts-cluster.ts';
import {
  type AlertsOptions,
  goalLine,
  header,
  type LevelFigures,
  parseAlertsOptions,
  percentile,
  row,
} from '../../../../src/cli/bench/alerts-options.ts';

const defaults: AlertsOptions = {
  rates: '10000,100000',
  seconds: '60',
  intervalMs: '500',
  missTimeoutMs: '10000',
  series: '10000',
  batch: '100',
  connections: '64',
  detector: 'ewma',
};

const level = (over: Partial<LevelFigures> = {}): LevelFigures => ({
  backgroundRate: 10000,
  achievedRate: 9967,
  probes: 120,
  received: 120,
  misses: 0,
  p50Ms: 19.4,
  p99Ms: 342,
  maxMs: 364,
  ackP50Ms: 11,
  ackP99Ms: 218,
  maxLagPoints: 3600,
  ...over,
});

describe('parseAlertsOptions', () => {
  it('types the defaults; embedded writes alerts.json, --cluster alerts-cluster.json', () => {
    const embedded = parseAlertsOptions(defaults, '/repo');
    expect(embedded).toEqual({
      mode: 'embedded',
      rates: [10000, 100000],
      seconds: 60,
      intervalMs: 500,
      missTimeoutMs: 10000,
      series: 10000,
      batch: 100,
      connections: 64,
      detector: 'ewma',
      json: '/repo/bench/results/alerts.json',
    });
    const cluster = parseAlertsOptions({ ...defaults, cluster: true }, '/repo');
    expect(cluster.mode).toBe('cluster');
    expect(cluster.json).toBe('/repo/bench/results/alerts-cluster.json');
    expect(parseAlertsOptions({ ...defaults, cluster: true, json: '/tmp/x.json' }, '/repo').json).toBe(
      '/tmp/x.json',
    );
  });

  it.each([
    [{ rates: '1000,x' }, /--rates must list numbers > 0/],
    [{ rates: '' }, /--rates/],
    [{ rates: '0' }, /--rates/],
    [{ seconds: '0' }, /--seconds must be a number > 0 \(got "0"\)/],
    [{ intervalMs: 'soon' }, /--interval-ms must be a number > 0/],
    [{ missTimeoutMs: '-1' }, /--miss-timeout-ms/],
    [{ series: '2.5' }, /--series must be an integer > 0/],
    [{ batch: '0' }, /--batch/],
    [{ connections: 'many' }, /--connections/],
  ])('refuses %o naming the flag', (bad, message) => {
    expect(() => parseAlertsOptions({ ...defaults, ...bad }, '/repo')).toThrow(message);
  });
});

describe('the table', () => {
  it('prints one column per header, right-aligned, "-" where nothing was received', () => {
    expect(header().trim().split(/\s+/).join(' ')).toBe(
      'background achieved probes received misses p50 ms p99 ms max ms ack p50 ack p99 max lag',
    );
    const line = row(level());
    expect(line.length).toBe(header().length);
    expect(line.trim().split(/\s+/)).toEqual([
      '10000',
      '9967',
      '120',
      '120',
      '0',
      '19',
      '342',
      '364',
      '11',
      '218',
      '3600',
    ]);
    const none = row(level({ received: 0, misses: 120, p50Ms: null, p99Ms: null, maxMs: null }));
    expect(none.trim().split(/\s+/).slice(5, 8)).toEqual(['-', '-', '-']);
  });

  it('judges each level against the mode goal; a miss fails it whatever the p99', () => {
    const levels = [level(), level({ backgroundRate: 100000, p99Ms: 1293 })];
    expect(goalLine('embedded', levels, 0)).toBe(
      'goal: p99 ≤ 1000 ms embedded (10000/s met, 100000/s not met); refused webhook requests: 0',
    );
    expect(goalLine('cluster', levels, 2)).toBe(
      'goal: p99 ≤ 2000 ms scaled out (10000/s met, 100000/s met); refused webhook requests: 2',
    );
    expect(goalLine('cluster', [level({ misses: 1, received: 119 })], 0)).toMatch(/10000\/s not met/);
    expect(goalLine('cluster', [level({ p99Ms: null })], 0)).toMatch(/not met/);
  });

  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 120 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(60);
    expect(percentile(xs, 99)).toBe(119);
    expect(percentile(xs, 100)).toBe(120);
    expect(percentile([], 99)).toBeNull();
  });
});

describe('parseClusterOutput', () => {
  const out = [
    'export VIGIL_CLUSTER_URL=http://127.0.0.1:47339',
    '# processor-1: http://127.0.0.1:41041 (pid 11684, log /x/processor-1.log)',
    '# detector-1: http://127.0.0.1:46615 (pid 11701, log /x/detector-1.log)',
    '# detector-2: http://127.0.0.1:38307 (pid 11712, log /x/detector-2.log)',
    '# api-1: http://127.0.0.1:45819 (pid 11726, log /x/api-1.log)',
    'export VIGIL_KAFKA_BROKERS=127.0.0.1:34321,127.0.0.1:55241',
    'export VIGIL_PG_URL=postgres://vigil@127.0.0.1:37369/vigil',
    '',
  ].join('\n');

  it('reads the nginx URL, each role and the services’ variables', () => {
    const e = parseClusterOutput(out);
    expect(e.url).toBe('http://127.0.0.1:47339');
    expect(e.roles).toEqual([
      { role: 'processor', index: 1, url: 'http://127.0.0.1:41041' },
      { role: 'detector', index: 1, url: 'http://127.0.0.1:46615' },
      { role: 'detector', index: 2, url: 'http://127.0.0.1:38307' },
      { role: 'api', index: 1, url: 'http://127.0.0.1:45819' },
    ]);
    expect(e.env).toEqual({
      VIGIL_KAFKA_BROKERS: '127.0.0.1:34321,127.0.0.1:55241',
      VIGIL_PG_URL: 'postgres://vigil@127.0.0.1:37369/vigil',
    });
  });

  it('refuses output without a cluster URL', () => {
    expect(() => parseClusterOutput('# api-1: http://127.0.0.1:1 (pid 1, log x)\n')).toThrow(
      /no VIGIL_CLUSTER_URL/,
    );
    expect(() => parseClusterOutput('export VIGIL_CLUSTER_URL=undefined\n')).toThrow(/no VIGIL_CLUSTER_URL/);
  });
});
