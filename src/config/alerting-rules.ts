/**
 * The `alerting` keys of rules, incidents and silences (see docs/alerting.md). Merged with
 * ./notifiers.ts into the one `alerting` section of config/schema.ts.
 */
import type { TProperties } from 'typebox';

export const AlertingRulesKeys = {} satisfies TProperties;
