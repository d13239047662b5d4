import { describe, expect, it } from 'vitest';
import { checkRuleList, compileRule, parseAlertRule } from '../../../../src/core/alerting/rule.ts';
import { checkTemplate, renderTemplate } from '../../../../src/core/alerting/template.ts';
import { isVigilError } from '../../../../src/core/errors.ts';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (isVigilError(err) && err.status === 400) return err.location?.field;
    throw err;
  }
  return undefined;
}

describe('alert rules', () => {
  it('fill in every default', () => {
    const r = parseAlertRule({ name: 'lat', match: 'latency{env="prod"}' });
    expect(r).toMatchObject({
      severity: 'warning',
      minScore: 0,
      direction: 'any',
      groupBy: [],
      groupGapMs: 300_000,
      resolveTimeoutMs: 300_000,
      repeatIntervalMs: 14_400_000,
      notifiers: [],
      labels: {},
      annotations: {},
      enabled: true,
    });
    expect(compileRule(r).selector.metric).toBe('latency');
  });

  it('name the bad field in a 400', () => {
    expect(fieldOf(() => parseAlertRule({ name: 'a b', match: 'x' }))).toBe('name');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x{' }))).toBe('match');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', minScore: 1.5 }))).toBe('minScore');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', severity: 'page' }))).toBe('severity');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', direction: 'sideways' }))).toBe('direction');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', groupBy: ['ok', 'not ok'] }))).toBe(
      'groupBy.1',
    );
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', bogus: 1 }))).toBe('bogus');
    expect(fieldOf(() => parseAlertRule({ name: 'a' }))).toBe('match');
    expect(fieldOf(() => parseAlertRule([]))).toBe('body');
    expect(
      fieldOf(() =>
        parseAlertRule({ name: 'a', match: 'x', annotations: { summary: 'on {{labels.host}} {{nope}}' } }),
      ),
    ).toBe('annotations.summary');
    expect(fieldOf(() => parseAlertRule({ name: 'a', match: 'x', labels: { team: '{{severity' } }))).toBe(
      'labels.team',
    );
  });

  it('in the config file are checked whole: unique names, paths under alerting.rules', () => {
    expect(
      checkRuleList(
        [
          { name: 'a', match: 'x' },
          { name: 'b', match: 'y', notifiers: ['ops'] },
        ],
        ['ops'],
      ).map((r) => r.name),
    ).toEqual(['a', 'b']);
    expect(
      fieldOf(() =>
        checkRuleList(
          [
            { name: 'a', match: 'x' },
            { name: 'a', match: 'y' },
          ],
          [],
        ),
      ),
    ).toBe('alerting.rules[1].name');
    expect(fieldOf(() => checkRuleList([{ name: 'a', match: '{' }], []))).toBe('alerting.rules[0].match');
    expect(
      fieldOf(() => checkRuleList([{ name: 'a', match: 'x', notifiers: ['ops', 'nope'] }], ['ops'])),
    ).toBe('alerting.rules[0].notifiers.1');
  });
});

describe('templates', () => {
  it('render every placeholder and leave other text alone', () => {
    const text =
      '{{rule}}/{{tenant}} {{severity}} {{status}} {{incident.id}} n={{ incident.members }} rc={{root_cause}} h={{labels.host}} z={{labels.zone}} {single}';
    checkTemplate(text, 'annotations.x');
    expect(
      renderTemplate(text, {
        rule: 'r',
        tenant: 't',
        severity: 'critical',
        status: 'firing',
        incidentId: 'i1',
        members: 3,
        rootCause: 'db{service="db"}',
        labels: { host: 'a' },
      }),
    ).toBe('r/t critical firing i1 n=3 rc=db{service="db"} h=a z= {single}');
  });
});
