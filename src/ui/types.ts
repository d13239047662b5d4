/** The slices of the JSON API's answers the UI reads (docs/openapi.json has them whole). */

export interface SeriesInfo {
  key: string;
  metric: string;
  tags: Record<string, string>;
}

export interface Point {
  ts: number;
  value: number;
  score: number;
  expected: number | null;
  lower: number | null;
  upper: number | null;
  anomalous: boolean;
}

export interface PointsAnswer {
  series: string;
  total: number;
  points: Point[];
}

export interface Anomaly {
  id: string;
  series: string;
  start: number;
  end: number;
  peakScore: number;
  peakValue: number;
  peakExpected: number | null;
  direction: string;
  points: number;
  detector: string;
  /** The served model version that scored it (docs/models.md); absent: the engine default or a per-series config. */
  model?: { name: string; version: string };
  open: boolean;
}

export type Label = 'anomaly' | 'not_anomaly' | 'expected';

export interface Feedback {
  id: string;
  anomaly: string;
  series: string;
  label: Label;
  at: number;
}

export interface SeriesConfig {
  series: string;
  detector: string;
  threshold: number;
  learned?: { stage: string; version: number; data: unknown }[];
}

export interface Incident {
  id: string;
  rule: string;
  status: 'open' | 'resolved';
  severity: string;
  startsAt: number;
  members: { id?: string; series?: string }[];
  rootCauses: { seriesKey: string; rank: number; score: number; reasons: string[] }[];
}

export interface WhoAmI {
  tenant: string;
  keyId: string | null;
  scopes: string[];
}
