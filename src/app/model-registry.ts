/**
 * The model registry a process uses, chosen by `models.registry`: the file registry under
 * `<dataDir>/models` (embedded) or the MLflow tracking server at `models.mlflowUrl` (scaled out).
 */
import { join } from 'node:path';
import { openFileModelRegistry } from '../adapters/model-files/index.ts';
import type { Config } from '../config/schema.ts';
import { VigilError } from '../core/errors.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';

export async function openModelRegistry(config: Readonly<Config>): Promise<ModelRegistry> {
  if (config.models.registry === 'mlflow') {
    // The MLflow adapter lands in the next commit on this branch.
    throw new VigilError(
      'VIGIL_ERR_UNAVAILABLE',
      `models.registry: "mlflow" is not wired yet (${config.models.mlflowUrl})`,
    );
  }
  return openFileModelRegistry(join(config.dataDir, 'models'));
}
