/** Where the tests find NAB v1.1: `../shared/datasets/nab` beside the repository root. */
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
export const NAB_DIR = fileURLToPath(
  new URL('../shared/datasets/nab/', new URL('../../../../../', import.meta.url)),
);
