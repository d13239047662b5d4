import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLineProtocol } from '../../../../src/adapters/ingest/encode.ts';
import {
  type LineProtocolPrecision,
  parseLineProtocol,
} from '../../../../src/adapters/ingest/line-protocol.ts';
import type { ErrorCode, ErrorLocation } from '../../../../src/core/errors.ts';
import { checkInvariants, expectSamePoints, LIMITS, pointsArb, rejection, T0 } from './helpers.ts';

const NOW = T0 + 5;
const parse = (text: string, precision: LineProtocolPrecision = 'ns') =>
  parseLineProtocol(text, precision, NOW, LIMITS);
const values = (text: string) => parse(text).points.map((p) => p.value);

describe('parseLineProtocol', () => {
  it('turns each numeric field into a point of <measurement>_<field> with the line tags', () => {
    const got = parse('cpu,host=a,region=eu usage_user=1.5,usage_idle=98i 1700000000000000000\n');
    expect(got.points).toEqual([
      { metric: 'cpu_usage_user', tags: { host: 'a', region: 'eu' }, ts: T0, value: 1.5 },
      { metric: 'cpu_usage_idle', tags: { host: 'a', region: 'eu' }, ts: T0, value: 98 },
    ]);
    expect(got.skipped).toEqual({});
    checkInvariants(got, LIMITS);
  });

  it('parses a Telegraf batch: comments, blank lines, CRLF, strings skipped and counted', () => {
    const text = [
      '# written by telegraf',
      'cpu,cpu=cpu-total,host=srv usage_idle=98.2,usage_user=1.1 1700000000000000000',
      '',
      '   mem,host=srv available=123i,used_percent=45.5,active=9u 1700000000000000000  ',
      'system,host=srv uptime_format="1 day,  2:03",load1=0.5,n_users=2i 1700000000000000000\r',
      'disk,host=srv,path=/ ok=true,info="x=1 \\"quoted\\" \\\\" 1700000000000000000',
    ].join('\n');
    const got = parse(text);
    expect(got.points.map((p) => [p.metric, p.value])).toEqual([
      ['cpu_usage_idle', 98.2],
      ['cpu_usage_user', 1.1],
      ['mem_available', 123],
      ['mem_used_percent', 45.5],
      ['mem_active', 9],
      ['system_load1', 0.5],
      ['system_n_users', 2],
      ['disk_ok', 1],
    ]);
    expect(got.skipped).toEqual({ string_field: 2 });
    expect(got.points[7]!.tags).toEqual({ host: 'srv', path: '/' });
  });

  it('reads every value type', () => {
    const text = 'm a=1,b=-1.5,c=1e3,d=-2.5E-2,e=.5,f=5.,g=-0,h=+0i,i=-7i,j=7u,k=0012.50';
    expect(() => parse(text)).toThrow(/`\+0i` is not an integer/);
    expect(values(text.replace('h=+0i', 'h=0i'))).toEqual([
      1, -1.5, 1000, -0.025, 0.5, 5, -0, 0, -7, 7, 12.5,
    ]);
    expect(Object.is(values('m g=-0')[0], -0)).toBe(true);
    const bools = 't,T,true,True,TRUE,f,F,false,False,FALSE'.split(',');
    expect(values(`m ${bools.map((b, i) => `b${i}=${b}`).join(',')}`)).toEqual([
      1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
    ]);
  });

  it('reads integers to the int64/uint64 limits and long floats with correct rounding', () => {
    expect(
      values(
        'm a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u,d=00000000000000000000001i',
      ),
    ).toEqual(['9223372036854775807', '-9223372036854775808', '18446744073709551615', '1'].map(Number));
    expect(
      values('m a=0.1234567890123456789,b=123456789012345678901234567890,c=1.7976931348623157e308'),
    ).toEqual(
      ['0.1234567890123456789', '123456789012345678901234567890', '1.7976931348623157e308'].map(Number),
    );
    expect(values('m a=4.9e-324,b=1e-400,c=0.30000000000000004')).toEqual([4.9e-324, 0, 0.30000000000000004]);
  });

  it('unescapes measurements, tag keys and values, field keys as InfluxDB 2 documents', () => {
    const got = parse('my\\ meas\\,ure=x,t\\ a\\=g=v\\,a\\=l\\ ue f\\ k\\=1=1');
    expect(got.points[0]).toMatchObject({ metric: 'my meas,ure=x_f k=1', tags: { 't a=g': 'v,a=l ue' } });
    const names = parse('my\\Measurement a=1\nmy\\\\Measurement b=1\nmy\\\\\\Measurement c=1\nm,t=x\\\\ d=1');
    expect(names.points.map((p) => p.metric)).toEqual([
      'my\\Measurement_a',
      'my\\Measurement_b',
      'my\\\\Measurement_c',
      'm_d',
    ]);
    expect(names.points[3]!.tags).toEqual({ t: 'x\\' });
    // `\=` is no escape in a measurement; `=` needs none there.
    expect(parse('a\\=b=c v=1').points[0]!.metric).toBe('a\\=b=c_v');
  });

  it('keeps a `__proto__` tag as a tag', () => {
    const tags = parse('m,__proto__=x v=1').points[0]!.tags;
    expect(Object.keys(tags)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
  });

  it('converts timestamps per precision exactly, flooring sub-millisecond parts', () => {
    const ts = (t: string, p: LineProtocolPrecision) =>
      parseLineProtocol(`m v=1 ${t}`, p, NOW, LIMITS).points[0]!.ts;
    // 1700000000123999999 is not exactly representable as a double: float parsing would round up.
    expect(ts('1700000000123999999', 'ns')).toBe(1700000000123);
    expect(ts('9223372036854775807', 'ns')).toBe(9223372036854);
    expect(ts('999999', 'ns')).toBe(0);
    expect(ts('0', 'ns')).toBe(0);
    expect(ts('-0', 'ns')).toBe(0);
    expect(ts('1700000000123999', 'us')).toBe(1700000000123);
    expect(ts('1700000000123', 'ms')).toBe(1700000000123);
    expect(ts('1700000000', 's')).toBe(T0);
    expect(ts('28333333', 'm')).toBe(28333333 * 60_000);
    expect(ts('472222', 'h')).toBe(472222 * 3_600_000);
    expect(ts('32503680000000', 'ms')).toBe(32503680000000);
    expect(parse('m v=1\nm w=2   \n').points.map((p) => p.ts)).toEqual([NOW, NOW]);
  });

  it('lets string values span lines and counts those lines', () => {
    const err = rejection(() => parse('m s="a\nb\\\nc",v=1 1\nm v=x 1'));
    expect(err.location).toEqual({ line: 4, field: 'fields.v' });
    expect(parse('m s="a\nb",v=1 1\n').points).toHaveLength(1);
  });

  const bad: [string, string, ErrorCode, ErrorLocation, RegExp?][] = [
    ['a measurement alone', 'cpu', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1 }, /missing field set/],
    ['a measurement and a space', 'cpu ', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1 }, /missing field set/],
    [
      'tags without fields',
      'm v=1\ncpu,host=a',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 2 },
      /^line 2: missing field set/,
    ],
    ['no measurement', ',host=a v=1', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'measurement' }],
    ['a tag without value', 'cpu,host v=1', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'tags.host' }],
    ['an empty tag key', 'cpu,=a v=1', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'tags' }],
    ['an empty tag value', 'cpu,host= v=1', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'tags.host' }],
    [
      'an unescaped = in a tag value',
      'cpu,host=a=b v=1',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'tags.host' },
    ],
    [
      'a repeated tag key',
      'cpu,h=a,h=b v=1',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'tags.h' },
      /duplicate tag/,
    ],
    [
      'a field without value',
      'cpu v',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /no value/,
    ],
    [
      'an empty field value',
      'cpu v=',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /empty value/,
    ],
    ['an empty field key', 'cpu =1', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields' }],
    [
      'a trailing comma in the field set',
      'cpu v=1,',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields' },
    ],
    [
      'a word as value',
      'cpu v=abc',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /`abc` is not a number/,
    ],
    ['two decimal points', 'cpu v=1.2.3', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.v' }],
    ['a bare exponent', 'cpu v=1e', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.v' }],
    ['a sign alone', 'cpu v=-', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.v' }],
    ['a hex value', 'cpu v=0x10', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.v' }],
    ['a half boolean', 'cpu v=tru', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.v' }],
    ['NaN', 'cpu v=NaN', 'VIGIL_ERR_BAD_POINT', { line: 1, field: 'fields.v' }, /not a finite number/],
    ['-Inf', 'cpu v=-Inf', 'VIGIL_ERR_BAD_POINT', { line: 1, field: 'fields.v' }],
    ['a float overflowing to Infinity', 'cpu v=1e999', 'VIGIL_ERR_BAD_POINT', { line: 1, field: 'fields.v' }],
    [
      'a fraction as integer',
      'cpu v=1.5i',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /not an integer/,
    ],
    [
      'a negative unsigned',
      'cpu v=-1u',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /not an unsigned/,
    ],
    [
      'an int64 overflow',
      'cpu v=9223372036854775808i',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /out of range/,
    ],
    [
      'an int64 underflow',
      'cpu v=-9223372036854775809i',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /out of range/,
    ],
    [
      'a uint64 overflow',
      'cpu v=18446744073709551616u',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /out of range/,
    ],
    [
      'an unterminated string',
      'cpu v="abc',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'fields.v' },
      /not terminated/,
    ],
    ['text after a string', 'cpu s="abc"x', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'fields.s' }],
    [
      'a timestamp with letters',
      'cpu v=1 12a',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'timestamp' },
      /`12a` is not an integer/,
    ],
    ['a fractional timestamp', 'cpu v=1 1.5', 'VIGIL_ERR_BAD_LINE_PROTOCOL', { line: 1, field: 'timestamp' }],
    [
      'a minus alone as timestamp',
      'cpu v=1 -',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1, field: 'timestamp' },
    ],
    [
      'a negative timestamp',
      'cpu v=1 -1',
      'VIGIL_ERR_BAD_POINT',
      { line: 1, field: 'timestamp' },
      /out of range/,
    ],
    [
      'a timestamp after 2999',
      'cpu v=1 99999999999999999999',
      'VIGIL_ERR_BAD_POINT',
      { line: 1, field: 'timestamp' },
    ],
    [
      'text after the timestamp',
      'cpu v=1 1 2',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1 },
      /after the timestamp/,
    ],
    [
      'a lone carriage return',
      'cpu v=1 1\rcpu v=2 2',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 1 },
      /carriage return/,
    ],
    [
      'an error after comments and blanks',
      '# c\n\n cpu v=x',
      'VIGIL_ERR_BAD_LINE_PROTOCOL',
      { line: 3, field: 'fields.v' },
      /^line 3: /,
    ],
    [
      'a duplicate point',
      'cpu,h=a v=1 1\ncpu,h=b v=1 1\ncpu,h=a v=2 1',
      'VIGIL_ERR_DUPLICATE_POINT',
      { line: 3, field: 'fields.v' },
      /^line 3: duplicate point: series cpu_v\{h="a"\} at ts 0 already appears on line 1/,
    ],
    [
      'a duplicate with tags reordered',
      'm,a=1,b=2 v=1 5\nm,b=2,a=1 v=1 5',
      'VIGIL_ERR_DUPLICATE_POINT',
      { line: 2, field: 'fields.v' },
    ],
    [
      'a duplicate field in one line',
      'm v=1,v=2 5',
      'VIGIL_ERR_DUPLICATE_POINT',
      { line: 1, field: 'fields.v' },
      /on line 1/,
    ],
    [
      'a duplicate after out-of-order lines',
      'm v=1 9000000\nm v=1 5000000\nm v=1 9000000',
      'VIGIL_ERR_DUPLICATE_POINT',
      { line: 3, field: 'fields.v' },
    ],
    [
      '33 tags',
      `m,${Array.from({ length: 33 }, (_, i) => `t${i}=v`).join(',')} v=1`,
      'VIGIL_ERR_TOO_MANY_TAGS',
      { line: 1, field: 'tags' },
    ],
    ['a too long metric', `${'m'.repeat(300)} v=1`, 'VIGIL_ERR_BAD_POINT', { line: 1, field: 'metric' }],
    ['a tab in a tag value', 'm,h=a\tb v=1', 'VIGIL_ERR_BAD_POINT', { line: 1, field: 'tags.h' }],
    [
      'more than maxPoints points',
      Array.from({ length: 1001 }, (_, i) => `m v=${i} ${i}000000`).join('\n'),
      'VIGIL_ERR_BATCH_TOO_LARGE',
      { line: 1001 },
    ],
    [
      'a field too many on the last line',
      `${Array.from({ length: 999 }, (_, i) => `m v=${i} ${i}000000`).join('\n')}\nm a=1,b=2`,
      'VIGIL_ERR_BATCH_TOO_LARGE',
      { line: 1000 },
    ],
  ];
  it.each(bad)('rejects %s', (_name, text, code, location, message) => {
    const err = rejection(() => parse(text));
    expect(err.code).toBe(code);
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.location).toEqual(location);
    if (message) expect(err.message).toMatch(message);
  });

  it('rejects an unknown precision as a bad request', () => {
    const err = rejection(() => parseLineProtocol('m v=1', 'ps' as LineProtocolPrecision, NOW, LIMITS));
    expect(err.code).toBe('VIGIL_ERR_BAD_REQUEST');
  });

  it.each(['ns', 'us', 'ms', 's', 'm', 'h'] as const)(
    'round-trips encodeLineProtocol at precision %s',
    (precision) => {
      const unit = { ns: 1, us: 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[precision];
      fc.assert(
        fc.property(pointsArb({ msMultiple: unit }), (points) => {
          const text = encodeLineProtocol(points, precision);
          const got = parseLineProtocol(text, precision, NOW, LIMITS);
          expectSamePoints(got.points, points);
        }),
        { numRuns: 150 },
      );
    },
  );
});

describe('series keys from line protocol', () => {
  it('equal seriesKey() of the same metric and tags, also for names that need quoting', async () => {
    const { seriesKey } = await import('../../../../src/core/series.ts');
    const { parseLineProtocol } = await import('../../../../src/adapters/ingest/line-protocol.ts');
    const { DEFAULT_SERIES_LIMITS } = await import('../../../../src/core/series.ts');
    const got = parseLineProtocol('my\\ meas,t\\ a=v f\\,1=1,g=2 1000\n', 'ms', 0, {
      maxPoints: 10,
      series: DEFAULT_SERIES_LIMITS,
    });
    expect(got.keys).toEqual(got.points.map((p) => seriesKey(p.metric, p.tags)));
    expect(got.keys![0]).toBe('"my meas_f,1"{"t a"="v"}');
  });
});
