/** The built-in calibrators and post-rules. A stage kind becomes available (and conformance-tested) by registering here. */
import type { Calibrator } from './calibrator.ts';
import { kneeCalibration } from './calibrators/knee.ts';
import { likelihoodCalibration } from './calibrators/likelihood.ts';
import { liteLikelihoodCalibration } from './calibrators/lite-likelihood.ts';
import { noCalibration } from './calibrators/none.ts';
import type { PostRule } from './post-rule.ts';
import { feedbackRule } from './post-rules/feedback.ts';
import { directionRule, minDeviationRule, minDurationRule } from './post-rules/guardrails.ts';
import { softRefractoryRule } from './post-rules/soft-refractory.ts';
import { StageRegistry } from './stage.ts';

export function builtinCalibrators(): StageRegistry<Calibrator> {
  return new StageRegistry<Calibrator>('calibrator')
    .register(noCalibration)
    .register(likelihoodCalibration)
    .register(liteLikelihoodCalibration)
    .register(kneeCalibration);
}

export function builtinPostRules(): StageRegistry<PostRule> {
  return new StageRegistry<PostRule>('post-rule')
    .register(directionRule)
    .register(minDeviationRule)
    .register(minDurationRule)
    .register(softRefractoryRule)
    .register(feedbackRule);
}
