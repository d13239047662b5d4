/**
 * The `alerting` keys of rules, incidents and silences (see docs/alerting.md). Merged with
 * ./notifiers.ts into the one `alerting` section of config/schema.ts.
 */
import Type, { type TProperties } from 'typebox';
import { AlertRuleSchema } from '../core/alerting/rule.ts';

export const AlertingRulesKeys = {
  rules: Type.Array(AlertRuleSchema, {
    default: [],
    description:
      'alert rules from the config file (listed by /api/v1/alert-rules with source "config", read-only there); names unique',
  }),
  tickMs: Type.Integer({
    minimum: 100,
    maximum: 60_000,
    default: 1_000,
    description: 'how often the alerter resolves incidents, sends repeats and saves its state',
  }),
  reloadMs: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 5_000,
    description:
      'scaled out: how often `vigil alerter` re-reads rules and silences from PostgreSQL (the bound on a change made through `vigil api` taking effect)',
  }),
} satisfies TProperties;
