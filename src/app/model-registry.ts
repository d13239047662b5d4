/**
 * The model registry a process uses, chosen by `models.registry`: the file registry under
 * `<dataDir>/models` (embedded) or the MLflow tracking server at `models.mlflowUrl` (scaled out).
 */
import { join } from 'node:path';
import { openFileModelRegistry } from '../adapters/model-files/index.ts';
import type { Config } from '../config/schema.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';

export async function openModelRegistry(config: Readonly<Config>): Promise<ModelRegistry> {
  if (config.models.registry === 'mlflow') {
    // Loaded on demand: embedded processes never load the MLflow client.
    const { openMlflowModelRegistry } = await import('../adapters/mlflow/index.ts');
    return openMlflowModelRegistry({ url: config.models.mlflowUrl, experiment: config.models.experiment });
  }
  return openFileModelRegistry(join(config.dataDir, 'models'));
}
