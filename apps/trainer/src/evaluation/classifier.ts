/**
 * The image classifier behind scm eval (core's createClassifier): training it with Adam and
 * cross-entropy, its run folder, and running it over many images.
 *
 * A classifier run folder holds
 *   config.json             ClassifierRunInfo: network config, data, training settings, held-out accuracy
 *   checkpoint.safetensors  the parameters (F32, by name) and the same info as JSON metadata
 * Both are written atomically. The classifier sees images in data units ([-1, 1], NHWC), so it
 * scores samples of any run of the same image size whatever that run's sigma_d.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  adam,
  createClassifier,
  decodeSafetensors,
  encodeSafetensors,
  linear,
  lrAt,
  Rng,
  scalarTensors,
  toDevice,
  toHost,
  valueAndGrad,
  type Classifier,
  type ClassifierConfig,
  type HostParams,
  type SafetensorsTensor,
} from '@scm/core';
import type { Ops } from '../backends/backend.js';
import { RunError, UsageError } from '../options/errors.js';
import { loadImages, type ImageDataSpec } from '../data/images.js';
import { lrScheduleFor, type LrScheduleName } from '../recipe/lr-schedule.js';
import { writeAtomic, writeJson } from '../run/atomic-file.js';
import { checkpointPath, CONFIG_FILE, ensureFolder } from '../run/run-folder.js';

export const CLASSIFIER_FORMAT = 'scm-ts/classifier@1';

export interface ClassifierTrainSettings {
  readonly steps: number;
  readonly batch: number;
  /** Adam's (peak) learning rate. */
  readonly lr: number;
  /** 'cosine': the rate falls along half a cosine to near 0 at the last step. Absent in older runs: constant. */
  readonly lrSchedule?: LrScheduleName;
  /** Each training image is moved by a random whole-pixel offset of up to this many pixels per axis. Absent in older runs: 0. */
  readonly shift?: number;
  readonly seed: number;
}

export interface ClassifierRunInfo {
  readonly format: typeof CLASSIFIER_FORMAT;
  readonly classifier: Required<ClassifierConfig>;
  /** The labelled images it was trained on. */
  readonly data: ImageDataSpec & { readonly imageSize: number; readonly channels: number };
  readonly classNames: readonly string[];
  readonly train: ClassifierTrainSettings;
  /** Accuracy on images it did not train on: MNIST's test split, or 10% of a folder held out. */
  readonly heldOut: { readonly images: number; readonly accuracy: number; readonly what: string };
}

export interface LoadedClassifier {
  readonly dir: string;
  readonly info: ClassifierRunInfo;
  readonly net: Classifier;
  readonly params: HostParams;
}

/** Labelled images in data units [-1, 1]. */
export interface LabelledImages {
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
}

export const MAX_STAGES = 3;

/** The most pooling stages (up to MAX_STAGES) that halve `size` evenly, at least 1. */
export function defaultStages(size: number): number {
  let s = 1;
  while (s < MAX_STAGES && size % 2 ** (s + 1) === 0) s++;
  return s;
}

/** Share of a folder held out for the accuracy (MNIST has its test split). */
const FOLDER_HELD_OUT = 0.1;
const SPLIT_SEED = 0xc1a55;

/**
 * Training and held-out images of a labelled data choice, in data units. MNIST and Fashion-MNIST:
 * the train and test splits; a folder (classes = sub-folders): a fixed 10% held out.
 */
export function classifierData(spec: ImageDataSpec): { train: LabelledImages; test: LabelledImages; shape: number[]; classNames: readonly string[]; heldOut: string } {
  const labelled = { ...spec, conditional: true };
  const train = loadImages(labelled, 'train', 0.5);
  const all = (s: typeof train): LabelledImages => {
    const b = s.all();
    return { x: s.toData(b.x), labels: b.labels!, n: b.n };
  };
  if (spec.dir === undefined) {
    return { train: all(train), test: all(loadImages(labelled, 'test', 0.5)), shape: [...train.sampleShape], classNames: train.classNames, heldOut: `the ${spec.name} test split` };
  }
  const every = all(train);
  if (every.n < 2) throw new RunError(`image folder ${spec.dir} has ${every.n} image; a classifier needs at least 2 (one to hold out)`);
  const order = new Rng(SPLIT_SEED).permutation(every.n);
  const held = Math.max(1, Math.round(every.n * FOLDER_HELD_OUT));
  const pick = (idx: Int32Array) => gather(every, idx, train.sampleShape.reduce((a, b) => a * b, 1));
  return {
    train: pick(order.subarray(held)),
    test: pick(order.subarray(0, held)),
    shape: [...train.sampleShape],
    classNames: train.classNames,
    heldOut: `${held} of the folder's ${every.n} images, held out`,
  };
}

function gather(s: LabelledImages, idx: ArrayLike<number>, size: number): LabelledImages {
  const x = new Float32Array(idx.length * size);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    x.set(s.x.subarray(idx[k] * size, (idx[k] + 1) * size), k * size);
    labels[k] = s.labels[idx[k]];
  }
  return { x, labels, n: idx.length };
}

/**
 * Each image [size, size, channels] moved by its own random whole-pixel offset in [-max, max] on
 * both axes, edge pixels repeated into the gap: digits and garments are recognised wherever they
 * sit, so the shifted copies are new training images at no cost.
 */
export function shiftImages(x: Float32Array, n: number, size: number, channels: number, max: number, rng: Rng): Float32Array {
  if (max === 0) return x;
  const out = new Float32Array(x.length);
  const offsets = rng.randint(2 * n, 2 * max + 1);
  const clamp = (v: number) => (v < 0 ? 0 : v >= size ? size - 1 : v);
  for (let k = 0; k < n; k++) {
    const dy = offsets[2 * k] - max;
    const dx = offsets[2 * k + 1] - max;
    const base = k * size * size * channels;
    for (let y = 0; y < size; y++) {
      const from = base + clamp(y - dy) * size * channels;
      for (let xx = 0; xx < size; xx++) {
        const src = from + clamp(xx - dx) * channels;
        const dst = base + (y * size + xx) * channels;
        for (let c = 0; c < channels; c++) out[dst + c] = x[src + c];
      }
    }
  }
  return out;
}

function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]] = 1;
  return out;
}

export interface ClassifierOutputs {
  /** [n, featureDim]: the features of the Frechet distance. */
  readonly features: Float32Array;
  /** [n]: argmax of the logits. */
  readonly predictions: Int32Array;
}

/** Features and predicted classes of n images (data units, clipped to [-1, 1]), `batch` at a time. */
export async function classify(o: Ops, net: Classifier, params: Record<string, unknown>, images: Float32Array, n: number, batch = 250): Promise<ClassifierOutputs> {
  const { imageSize, channels, numClasses } = net.config;
  const size = imageSize * imageSize * channels;
  if (images.length !== n * size) throw new Error(`classify: expected ${n} images of ${imageSize}x${imageSize}x${channels}, got ${images.length} values`);
  const features = new Float32Array(n * net.featureDim);
  const predictions = new Int32Array(n);
  for (let start = 0; start < n; start += batch) {
    const m = Math.min(batch, n - start);
    const chunk = images.subarray(start * size, (start + m) * size).map((v) => (v < -1 ? -1 : v > 1 ? 1 : v));
    const [f, l] = o.tidy(() => {
      const x = o.fromArray(chunk, [m, imageSize, imageSize, channels]);
      const feats = net.features(o, params, x);
      const logits = linear(o, feats, params['head.weight'], params['head.bias']);
      return [feats, logits];
    });
    features.set(await o.read(f), start * net.featureDim);
    const logits = await o.read(l);
    o.dispose([f, l]);
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (logits[i * numClasses + c] > logits[i * numClasses + best]) best = c;
      predictions[start + i] = best;
    }
  }
  return { features, predictions };
}

export function accuracy(predictions: Int32Array, labels: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct++;
  return labels.length === 0 ? NaN : correct / labels.length;
}

export interface ClassifierTraining extends ClassifierTrainSettings {
  readonly data: ImageDataSpec;
  readonly width: number;
  /** Default: as many as halve the image size evenly, at most MAX_STAGES. */
  readonly stages?: number;
  readonly out: string;
  /** Called every `logEvery` steps with the mean loss since the last call. */
  readonly onLog?: (step: number, loss: number) => void;
  readonly logEvery?: number;
}

/** Trains a classifier, measures its held-out accuracy and writes its run folder. */
export async function trainClassifier(o: Ops, t: ClassifierTraining): Promise<ClassifierRunInfo> {
  const data = classifierData(t.data);
  const [imageSize, , channels] = data.shape;
  if ((t.shift ?? 0) >= imageSize) throw new UsageError(`--shift ${t.shift} must be below the image size ${imageSize}`);
  let net: Classifier;
  try {
    net = createClassifier({ imageSize, channels, numClasses: data.classNames.length, width: t.width, stages: t.stages ?? defaultStages(imageSize) });
  } catch (e) {
    throw new RunError(`${(e as Error).message} (see --width, --stages, --size)`);
  }
  const rng = new Rng(t.seed);
  let params = toDevice(o, net.init(rng.fork('init')));
  const optimizer = adam();
  const schedule = lrScheduleFor(t.lrSchedule ?? 'constant', t.lr, t.steps);
  let state = optimizer.init(o, params);
  const size = imageSize * imageSize * channels;
  const classes = net.config.numClasses;
  let lossSum = 0;
  let count = 0;
  for (let step = 1; step <= t.steps; step++) {
    const batch = gather(data.train, rng.randint(t.batch, data.train.n), size);
    const images = shiftImages(batch.x, t.batch, imageSize, channels, t.shift ?? 0, rng);
    const next = o.tidy(() => {
      const x = o.fromArray(images, [t.batch, imageSize, imageSize, channels]);
      const y = o.fromArray(oneHot(batch.labels, classes), [t.batch, classes]);
      const { value, grads } = valueAndGrad(o, (tape, p) => net.crossEntropy(tape, net.logits(tape, p, tape.lift(x)), tape.lift(y)), params);
      const updated = optimizer.apply(o, params, grads, state, scalarTensors(o, optimizer.scalars(step, lrAt(schedule, step))));
      return { loss: value, params: updated.params, state: updated.state };
    });
    o.dispose([...Object.values(params), ...Object.values(state)]);
    params = next.params;
    state = next.state;
    lossSum += o.readSync(next.loss)[0];
    count++;
    o.dispose(next.loss);
    if (t.onLog && (step % (t.logEvery ?? 50) === 0 || step === t.steps)) {
      t.onLog(step, lossSum / count);
      lossSum = 0;
      count = 0;
    }
  }
  o.dispose(Object.values(state));
  const predicted = await classify(o, net, params, data.test.x, data.test.n);
  const host = await toHost(o, params);
  o.dispose(Object.values(params));
  const info: ClassifierRunInfo = {
    format: CLASSIFIER_FORMAT,
    classifier: net.config,
    data: { ...t.data, conditional: true, imageSize, channels: channels as 1 | 3 },
    classNames: data.classNames,
    train: { steps: t.steps, batch: t.batch, lr: t.lr, lrSchedule: t.lrSchedule ?? 'constant', shift: t.shift ?? 0, seed: t.seed },
    heldOut: { images: data.test.n, accuracy: accuracy(predicted.predictions, data.test.labels), what: data.heldOut },
  };
  await ensureFolder(t.out);
  await writeAtomic(checkpointPath(t.out), encodeClassifier(info, host));
  await writeJson(join(t.out, CONFIG_FILE), info);
  return info;
}

export function encodeClassifier(info: ClassifierRunInfo, params: HostParams): Uint8Array {
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [name, t] of Object.entries(params)) tensors[name] = { dtype: 'F32', shape: t.shape, data: t.data };
  return encodeSafetensors(tensors, { format: CLASSIFIER_FORMAT, classifier: JSON.stringify(info) });
}

/** Reads a classifier run folder; every failure is a RunError naming the folder and the problem. */
export async function loadClassifier(dir: string): Promise<LoadedClassifier> {
  const path = checkpointPath(dir);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunError(
      code === 'ENOENT' ? `${dir} is not a classifier run: it has no ${path} (train one with scm train-classifier)` : `could not read ${path} (${(e as Error).message})`,
    );
  }
  try {
    const { tensors, metadata } = decodeSafetensors(bytes);
    if (metadata.format !== CLASSIFIER_FORMAT) {
      throw new Error(`format ${JSON.stringify(metadata.format ?? null)} is not "${CLASSIFIER_FORMAT}" (is it a diffusion run rather than a classifier?)`);
    }
    const info = JSON.parse(metadata.classifier) as ClassifierRunInfo;
    const net = createClassifier(info.classifier);
    const expected = net.init(new Rng(0));
    const params: HostParams = {};
    for (const [name, t] of Object.entries(expected)) {
      const got = tensors[name];
      if (!got || got.dtype !== 'F32') throw new Error(`it lacks the F32 tensor "${name}"`);
      if (got.shape.join() !== t.shape.join()) throw new Error(`tensor "${name}" has shape [${got.shape.join(', ')}], the classifier needs [${t.shape.join(', ')}]`);
      params[name] = { shape: [...got.shape], data: got.data as Float32Array };
    }
    return { dir, info, net, params };
  } catch (e) {
    throw new RunError(`${path} is corrupt or not an scm classifier: ${(e as Error).message}`);
  }
}
