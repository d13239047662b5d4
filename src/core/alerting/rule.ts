/**
 * Alert rules: which anomalies page whom, and how they group into incidents. A rule is declared
 * once as a TypeBox schema (every default here), accepted from the API and from the config file
 * (`alerting.rules`), and compiled (its selector parsed) before the incident grouper uses it.
 * A bad rule is a VIGIL_ERR_BAD_REQUEST naming the field (`match`, `annotations.summary`, …).
 */
import Type, { type Static, type TSchema } from 'typebox';
import Value from 'typebox/value';
import { VigilError } from '../errors.ts';
import { schemaProblem } from '../pipeline/stage.ts';
import { parseSelector, type Selector } from '../selector.ts';
import { checkTemplate } from './template.ts';

/** Limits of one rule (documented in docs/alerting.md). */
export const RULE_LIMITS = { labelsPerRule: 32, templateChars: 1024, groupBy: 16, notifiers: 16 } as const;

const LABEL_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';
const Severity = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], {
  default: 'warning',
  description: 'severity of the alerts (members at or above `criticalScore` raise it to critical)',
});
const Templates = (what: string) =>
  Type.Record(Type.String({ pattern: LABEL_NAME }), Type.String({ maxLength: RULE_LIMITS.templateChars }), {
    default: {},
    maxProperties: RULE_LIMITS.labelsPerRule,
    description: `${what}: templates with {{rule}}, {{severity}}, {{incident.id}}, {{root_cause}}, {{labels.<name>}}, …`,
  });

export const AlertRuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'unique per tenant' }),
    match: Type.String({
      minLength: 1,
      maxLength: 8192,
      description: 'series selector, e.g. `latency{env="prod"}`',
    }),
    minScore: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0,
      description: 'least peak score of an anomaly',
    }),
    severity: Severity,
    criticalScore: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description: 'a member with a peak score at least this is critical',
      }),
    ),
    minDurationMs: Type.Integer({ minimum: 0, default: 0, description: 'least end − start of an anomaly' }),
    direction: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('any')], {
      default: 'any',
      description: 'which side of the expected value',
    }),
    groupBy: Type.Array(Type.String({ pattern: LABEL_NAME }), {
      default: [],
      maxItems: RULE_LIMITS.groupBy,
      uniqueItems: true,
      description: 'labels whose values an incident shares',
    }),
    groupGapMs: Type.Integer({
      minimum: 0,
      default: 300_000,
      description: 'an anomaly joins an open incident that was active at most this long before it started',
    }),
    resolveTimeoutMs: Type.Integer({
      minimum: 0,
      default: 300_000,
      description: 'an incident resolves this long after its last member ended',
    }),
    repeatIntervalMs: Type.Integer({
      minimum: 60_000,
      default: 14_400_000,
      description: 'a firing incident is notified again after this long',
    }),
    dependencyLabel: Type.String({
      pattern: LABEL_NAME,
      default: 'depends_on',
      description: 'label naming (comma-separated) what a series depends on, for root-cause ranking',
    }),
    identityLabel: Type.String({
      pattern: LABEL_NAME,
      default: 'service',
      description: 'label whose value the dependency label names',
    }),
    relatedOnly: Type.Boolean({
      default: false,
      description:
        'an anomaly joins an incident only when related to a member (same identityLabel value, or one names the other in dependencyLabel)',
    }),
    notifiers: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      default: [],
      maxItems: RULE_LIMITS.notifiers,
      uniqueItems: true,
      description: 'names from alerting.notifiers',
    }),
    labels: Templates('extra alert labels'),
    annotations: Templates('extra alert annotations'),
    enabled: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);

export type AlertRule = Static<typeof AlertRuleSchema>;

/** A rule ready for the grouper: its selector parsed. */
export interface CompiledRule {
  readonly rule: Readonly<AlertRule>;
  readonly selector: Selector;
}

/** A bad-request error naming `field` (the message starts with it). */
export function badField(field: string, message: string): VigilError {
  return new VigilError('VIGIL_ERR_BAD_REQUEST', message, { location: { field } });
}

/** Throws a 400 naming the first field of `value` that `schema` rejects (a missing one included). */
export function checkSchema(schema: TSchema, value: unknown, at: string): void {
  const missing = [...Value.Errors(schema, value)].find((e) => e.keyword === 'required');
  if (missing !== undefined) {
    const name = (missing.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '';
    const path = [at, ...missing.instancePath.split('/'), name].filter((p) => p !== '').join('.');
    throw badField(path, `${path}: required`);
  }
  const problem = schemaProblem(schema, value, at);
  if (problem !== undefined) throw badField(problem.slice(0, problem.indexOf(':')), problem);
}

/**
 * `input` as a rule with every default filled in, or a VIGIL_ERR_BAD_REQUEST naming the first bad
 * field. `at` prefixes field names (e.g. `alerting.rules[2]`).
 */
export function parseAlertRule(input: unknown, at = ''): AlertRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badField(at || 'body', `${at || 'body'}: an alert rule must be a JSON object`);
  }
  const rule = Value.Default(AlertRuleSchema, structuredClone(input)) as AlertRule;
  checkSchema(AlertRuleSchema, rule, at);
  compileRule(rule, at);
  return rule;
}

/** Parses the selector and checks the templates of an accepted rule. */
export function compileRule(rule: Readonly<AlertRule>, at = ''): CompiledRule {
  const prefix = at === '' ? '' : `${at}.`;
  let selector: Selector;
  try {
    selector = parseSelector(rule.match);
  } catch (err) {
    throw badField(`${prefix}match`, `${prefix}match: ${(err as Error).message}`);
  }
  for (const kind of ['labels', 'annotations'] as const) {
    for (const [k, v] of Object.entries(rule[kind])) checkTemplate(v, `${prefix}${kind}.${k}`);
  }
  return { rule, selector };
}

/** Throws a 400 naming `notifiers.<i>` when the rule names a notifier not in `known`. */
export function checkNotifiers(rule: Readonly<AlertRule>, known: readonly string[], at = ''): void {
  const i = rule.notifiers.findIndex((n) => !known.includes(n));
  if (i < 0) return;
  const field = `${at === '' ? '' : `${at}.`}notifiers.${i}`;
  const names = known.length === 0 ? 'none is configured' : `known: ${known.join(', ')}`;
  throw badField(
    field,
    `${field}: no notifier ${JSON.stringify(rule.notifiers[i])} in alerting.notifiers (${names})`,
  );
}

/**
 * Config-file rules checked whole: each valid, names unique, notifiers among `notifiers` (the
 * names of `alerting.notifiers`). Throws naming `alerting.rules[i]…`.
 */
export function checkRuleList(
  rules: readonly unknown[],
  notifiers: readonly string[],
  at = 'alerting.rules',
): AlertRule[] {
  const seen = new Set<string>();
  return rules.map((r, i) => {
    const rule = parseAlertRule(r, `${at}[${i}]`);
    checkNotifiers(rule, notifiers, `${at}[${i}]`);
    if (seen.has(rule.name))
      throw badField(`${at}[${i}].name`, `${at}[${i}].name: ${rule.name} is declared twice`);
    seen.add(rule.name);
    return rule;
  });
}
