/** scm train-ct: consistency training (sCT) from data, initialised from a teacher run. */
import type { OptionValues } from '../options/args.js';
import { consistencyHelp, runConsistency } from '../training/consistency.js';
import type { Io } from '../options/io.js';

export const help = consistencyHelp('sct');
export const run = (values: OptionValues, io: Io) => runConsistency('sct', values, io);
