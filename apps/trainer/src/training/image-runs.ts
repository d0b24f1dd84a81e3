/**
 * New image runs for train-teacher: the data recorded in config.json, the U-Net sized from it, the
 * settings a resumed image run must keep, and the classifier run recorded for `scm eval`.
 */
import { relative, resolve } from 'node:path';
import { createModel, initState, type RunInfo, type TrainConfig } from '@scm/core';
import { UsageError } from '../options/errors.js';
import { FOLDER_PREFIX, hasUnetOptions, imageUnetConfig, isImageData, openNewImageData, type ImageDataSpec, type UnetOptions } from '../data/images.js';
import type { NewRun, Setting } from './training.js';

/** A run's classifier (for scm eval), recorded relative to the run folder like `teacher`. */
export interface ClassifierField {
  readonly classifier?: string;
}

export function classifierField(out: string, classifier: string | undefined): ClassifierField {
  return classifier === undefined ? {} : { classifier: relative(resolve(out), resolve(classifier)) || '.' };
}

/** The classifier folder a run records, resolved against the run folder; undefined if none. */
export function recordedClassifier(runDir: string, info: RunInfo): string | undefined {
  const c = (info as RunInfo & ClassifierField).classifier;
  return typeof c === 'string' && c !== '' ? resolve(runDir, c) : undefined;
}

/** How --data names an image choice, the form a resumed run compares. */
export function dataName(spec: ImageDataSpec): string {
  return spec.dir !== undefined ? `${FOLDER_PREFIX}${spec.dir}` : spec.name;
}

const unet = (i: RunInfo) => (i.model.kind === 'unet' ? i.model : undefined);
const imageData = (i: RunInfo) => (isImageData(i.data) ? i.data : undefined);

/** Settings of an image teacher that a resumed run must already have. */
export function imageSettings(spec: ImageDataSpec | undefined, u: UnetOptions = {}): Setting[] {
  return [
    { flag: 'size', given: spec?.size, stored: (i) => imageData(i)?.size },
    { flag: 'channels', given: spec?.dir !== undefined ? spec.channels : undefined, stored: (i) => imageData(i)?.channels },
    { flag: 'base-channels', given: u.baseChannels, stored: (i) => unet(i)?.baseChannels },
    { flag: 'channel-mult', given: u.channelMult, stored: (i) => unet(i)?.channelMult },
    { flag: 'blocks-per-level', given: u.blocksPerLevel, stored: (i) => unet(i)?.blocksPerLevel },
    { flag: 'attention', given: u.attention, stored: (i) => unet(i)?.attentionResolutions },
    { flag: 'dropout', given: u.dropout, stored: (i) => unet(i)?.dropout },
  ];
}

/** U-Net options with 2-D data are a usage error (2-D data trains the MLP). */
export function rejectUnetOptions(u: UnetOptions | undefined, data: string): void {
  if (u && hasUnetOptions(u)) throw new UsageError(`--base-channels, --channel-mult, --blocks-per-level, --attention and --dropout are for image data; ${data} is 2-D toy data (MLP: --width, --blocks)`);
}

/** A new image teacher: reads the images once (to measure them), then a U-Net of their size. */
export function createImageTeacher(spec: ImageDataSpec, u: UnetOptions, train: TrainConfig, out: string, classifier?: string): NewRun {
  const { config: data, source } = openNewImageData(spec, train.sigmaD);
  const model = imageUnetConfig(data, source.numClasses, train.sigmaD, u);
  let net;
  try {
    net = createModel(model);
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see --base-channels, --channel-mult, --attention, --size)`);
  }
  const info: RunInfo = { model, train, data, ...classifierField(out, classifier) };
  return { info, init: (o) => initState(o, net, train) };
}
