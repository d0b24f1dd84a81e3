/** scm train-ct: consistency training (sCT) from data, initialised from a teacher run. */
import type { OptionValues } from '../args.js';
import { consistencyHelp, runConsistency } from '../consistency.js';
import type { Io } from '../io.js';

export const help = consistencyHelp('sct');
export const run = (values: OptionValues, io: Io) => runConsistency('sct', values, io);
