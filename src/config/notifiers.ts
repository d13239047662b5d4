/**
 * The `alerting` keys of notifiers and delivery (see docs/alerting.md). Merged with
 * ./alerting-rules.ts into the one `alerting` section of config/schema.ts.
 */
import type { TProperties } from 'typebox';

export const NotifierKeys = {} satisfies TProperties;
