/** Vigil's own HTTP API as a source of training history (`vigil train`). */
export { VigilApiClient, type VigilApiConfig } from './client.ts';
export { HttpTrainingHistory, MAX_LABELS } from './training-history.ts';
