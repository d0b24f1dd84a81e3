/**
 * --lr-schedule, which the training commands and scm train-classifier share: its option, its
 * parsing, and the core schedule a name and a run length stand for.
 */
import { constantLr, cosineLr, type LrSchedule } from '@scm/core';
import { parseChoice, str, type OptionSpec, type OptionValues } from '../options/args.js';

export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LrScheduleName = (typeof LR_SCHEDULES)[number];

/** --lr-schedule's option, naming the command's default. */
export function lrScheduleOption(fallback: LrScheduleName): OptionSpec {
  return {
    type: 'string',
    value: 'NAME',
    help: `constant or cosine (default ${fallback}): the cosine rate falls along half a cosine to near 0 at --steps, which sharpens a short run`,
  };
}

/** --lr-schedule as given, or undefined. */
export function optLrSchedule(values: OptionValues): LrScheduleName | undefined {
  const raw = str(values, 'lr-schedule');
  return raw === undefined ? undefined : parseChoice('lr-schedule', raw, LR_SCHEDULES, 'lr schedule');
}

/** The schedule `name` stands for at peak rate `lr` in a run of `steps` (cosine ends there). */
export function lrScheduleFor(name: LrScheduleName, lr: number, steps: number): LrSchedule {
  return name === 'cosine' ? cosineLr({ lr, decaySteps: steps }) : constantLr(lr);
}
