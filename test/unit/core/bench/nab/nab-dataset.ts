/** Where the tests find NAB v1.1: vendored under bench/datasets/nab (test/helpers/datasets.ts). */
export { NAB_CORPUS as NAB_DIR, NAB_RESULTS, REPO_ROOT } from '../../../../helpers/datasets.ts';
