/**
 * Builds the MLflow adapter from its config: `openMlflowModelRegistry` for the ModelRegistry port.
 */
import type { ModelRegistry } from '../../ports/model-registry.ts';
import { MlflowClient } from './client.ts';
import { type MlflowConfig, resolveMlflowConfig } from './config.ts';
import { MlflowModelRegistry } from './registry.ts';

export { type ArtifactEntry, MlflowClient, MlflowError, mlflowCodeOf } from './client.ts';
export { MLFLOW_DEFAULTS, type MlflowConfig, resolveMlflowConfig } from './config.ts';
export { MlflowModelRegistry, proxyPath } from './registry.ts';

/**
 * The registry on the MLflow server at `config.url`. Connects lazily: a server that is down shows
 * as VIGIL_ERR_UNAVAILABLE on the first call, not here (detectors start and retry).
 */
export async function openMlflowModelRegistry(config: MlflowConfig): Promise<ModelRegistry> {
  const resolved = resolveMlflowConfig(config);
  return new MlflowModelRegistry(new MlflowClient(resolved), resolved);
}
