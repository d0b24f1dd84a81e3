/** scm distill: consistency distillation (sCD) from a teacher run. */
import type { OptionValues } from '../args.js';
import { consistencyHelp, runConsistency } from '../consistency.js';
import type { Io } from '../io.js';

export const help = consistencyHelp('scd');
export const run = (values: OptionValues, io: Io) => runConsistency('scd', values, io);
