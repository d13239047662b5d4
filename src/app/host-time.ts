/** The process clock and timers a TaskHost runs on (engine/task-host.ts HostTime): the real ones. */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { HostTime } from '../engine/task-host.ts';

export const realHostTime: HostTime = {
  now: () => performance.now(),
  timer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  defer: () => yieldTurn(),
  soon: (fn) => setImmediate(fn),
};
