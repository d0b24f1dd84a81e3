/** scm distill: consistency distillation (sCD) from a teacher run. */
import type { OptionValues } from '../options/args.js';
import { consistencyHelp, runConsistency } from '../training/consistency.js';
import type { Io } from '../options/io.js';

export const help = consistencyHelp('scd');
export const run = (values: OptionValues, io: Io) => runConsistency('scd', values, io);
