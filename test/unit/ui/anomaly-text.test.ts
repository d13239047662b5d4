/** How the UI names what scored an anomaly (src/ui/anomaly-text.ts). */
import { expect, it } from 'vitest';
import { scoredBy } from '../../../src/ui/anomaly-text.ts';

it('names the served model version when a model scored the anomaly', () => {
  expect(scoredBy({ detector: 'vigil', model: { name: 'cpu', version: '3' } })).toBe('cpu v3');
});

it("names the pipeline's label when no model did", () => {
  expect(scoredBy({ detector: 'vigil' })).toBe('vigil');
});
