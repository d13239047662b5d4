/** The `vigil` command line. Each command lives in its own file and registers itself here. */
import { Command } from 'commander';
import { registerBench } from './bench/index.ts';
import { registerKeys } from './keys.ts';
import { registerModels } from './models.ts';
import { registerReplay } from './replay.ts';
import { registerRoles } from './roles.ts';
import { registerServe } from './serve.ts';
import { registerTrain } from './train.ts';

export function buildProgram(): Command {
  const program = new Command('vigil')
    .description('Vigil: streaming anomaly detection for time-series metrics')
    .version('0.1.0')
    .showHelpAfterError();
  registerServe(program);
  registerRoles(program);
  registerReplay(program);
  registerBench(program);
  registerKeys(program);
  registerModels(program);
  registerTrain(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
