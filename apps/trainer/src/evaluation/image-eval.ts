/**
 * scm eval for image runs, in the feature space of a trained classifier (scm train-classifier):
 *
 * - fd: Frechet distance between Gaussians fitted to the classifier features of n generated samples
 *   and of n reference images (MNIST / Fashion-MNIST: the held-out test split; folders: the folder).
 *   Like FID but with a small MNIST-trained network, so values compare only under one classifier.
 * - accuracy (class-conditional runs): the fraction of samples generated for class c that the
 *   classifier assigns to c. Labels are balanced: sample i gets class i mod K.
 * - classHistogram: the fraction of samples the classifier assigns to each class, and coverage: the
 *   fraction of classes that receive at least half their fair share of the samples (>= 1 / (2K)).
 *   A model that drops classes (mode collapse) loses coverage; a uniform one has coverage 1.
 *
 * Samplers: teacher runs Heun at 35 NFE (--nfe), with classifier-free guidance 1.5 when conditional;
 * consistency runs 1 and 2 steps (--steps), with the guidance input 1.5 for students distilled with
 * guidance (--guidance changes both). A "data" row scores n training images the same way: the
 * distance between two draws of real data, the floor the model rows should be read against.
 */
import { join, relative, resolve } from 'node:path';
import { appliesCfg, featureStats, frechetDistance, toDevice, type SamplerName } from '@scm/core';
import { BACKENDS, commonOptions, flag, optInteger, optNumber, parseIntegerList, str, type OptionValues } from '../options/args.js';
import { openBackend, type Ops } from '../backends/backend.js';
import { accuracy, classify, loadClassifier, type LoadedClassifier } from './classifier.js';
import { RunError, UsageError } from '../options/errors.js';
import { recordedClassifier } from '../training/image-runs.js';
import { describeData, isImageData, loadImages, specOf, type ImageDataConfig } from '../data/images.js';
import type { EvalOptions } from './eval-options.js';
import { drawSamplesOn } from '../sampling/onnx-sampling.js';
import type { Io } from '../options/io.js';
import { Progress } from '../run/progress.js';
import { type LoadedRun, type Weights } from '../run/run-folder.js';
import { saveEvalReport } from '../report/card.js';
import { checkConditioning, consistencyChoices, describeConsistency, describeSampler, nfeOf, openForSampling, optMidT, optWeights, weightsLabel, type SamplerChoice } from '../sampling/sampling.js';

export const IMAGE_EVAL_N = 1000;
export const DEFAULT_GUIDANCE = 1.5;
const DEFAULT_TEACHER_NFE = 35;
const DEFAULT_STEPS = [1, 2];

export interface ImageEvalRow {
  /** "data" for n training images, else the sampler. */
  readonly sampler: SamplerName | 'data';
  readonly steps?: number;
  /** Consistency rows of 2 or more steps sampled with a moved intermediate time (absent: the paper's 1.1). */
  readonly midT?: number;
  readonly nfe: number;
  readonly guidance?: number;
  /**
   * The guidance was applied as classifier-free guidance (teachers; students without a guidance
   * input): every step evaluates the network twice, so the network evaluations are 2 x nfe.
   */
  readonly cfg?: boolean;
  /** Frechet distance to the reference images in the classifier's feature space. */
  readonly fd: number;
  /** Conditional runs (and the data row): fraction of samples classified as the class they were drawn for. */
  readonly accuracy?: number;
  readonly perClassAccuracy?: readonly number[];
  /** Fraction of samples classified as each class. */
  readonly classHistogram: readonly number[];
  /** Fraction of classes with at least half their fair share (1 / (2K)) of the predictions. */
  readonly coverage: number;
  readonly seconds: number;
}

export interface ImageEvalReport {
  readonly run: string;
  readonly mode: string;
  readonly step: number;
  readonly data: string;
  readonly n: number;
  /** Images the reference statistics come from, and which. */
  readonly referenceImages: number;
  readonly reference: string;
  readonly seed: number;
  readonly weights: Weights;
  readonly classifier: { readonly dir: string; readonly heldOutAccuracy: number; readonly featureDim: number; readonly imageSize: number };
  /** Coverage counts a class when it receives at least this fraction of the samples. */
  readonly coverageThreshold: number;
  readonly rows: readonly ImageEvalRow[];
}

export interface ImageEvalOptions extends EvalOptions {
  readonly nfe?: number;
  /** Classifier folder; default: the one the run records. */
  readonly classifier?: string;
}

/** The classifier to score a run with: --classifier, else the run's recorded one, else a clear error. */
export async function classifierFor(run: LoadedRun, given: string | undefined): Promise<LoadedClassifier> {
  const dir = given ?? recordedClassifier(run.dir, run.meta);
  if (dir === undefined) {
    throw new UsageError(
      `${run.dir} records no classifier for the Frechet distance: pass --classifier DIR ` +
        `(train one with scm train-classifier --data ${describeData(run.meta.data)} --out runs/clf)`,
    );
  }
  return loadClassifier(dir);
}

/**
 * Images [n, s, s, c] in data units as the classifier takes them: the same size, or padded with
 * background (-1) on every side when the classifier was trained on padded images (MNIST --size 32).
 */
export function fitToClassifier(images: Float32Array, n: number, size: number, channels: number, clf: LoadedClassifier): Float32Array {
  const c = clf.net.config;
  if (c.channels !== channels || c.imageSize < size || (c.imageSize - size) % 2 !== 0) {
    throw new RunError(
      `classifier ${clf.dir} takes ${c.imageSize}x${c.imageSize}x${c.channels} images; this run's are ${size}x${size}x${channels} ` +
        '(a classifier fits runs of its image size, or smaller ones it can pad evenly)',
    );
  }
  if (c.imageSize === size) return images;
  const to = c.imageSize;
  const pad = (to - size) / 2;
  const out = new Float32Array(n * to * to * channels).fill(-1);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < size; y++) {
      const from = ((i * size + y) * size) * channels;
      out.set(images.subarray(from, from + size * channels), ((i * to + y + pad) * to + pad) * channels);
    }
  }
  return out;
}

function histogram(predictions: Int32Array, classes: number): number[] {
  const h = new Array<number>(classes).fill(0);
  for (const p of predictions) h[p]++;
  return h.map((v) => v / Math.max(predictions.length, 1));
}

function perClass(predictions: Int32Array, labels: Int32Array, classes: number): number[] {
  const hit = new Array<number>(classes).fill(0);
  const all = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    all[labels[i]]++;
    if (predictions[i] === labels[i]) hit[labels[i]]++;
  }
  return hit.map((h, c) => (all[c] > 0 ? h / all[c] : NaN));
}

export async function evaluateImages(o: Ops, run: LoadedRun, clf: LoadedClassifier, opts: ImageEvalOptions, progress: Progress): Promise<ImageEvalReport> {
  const d = run.meta.data;
  if (!isImageData(d)) throw new Error('evaluateImages: not an image run');
  const mode = run.meta.train.mode;
  const weights = opts.weights ?? 'ema';
  const s = openForSampling(o, run, weights);
  const numClasses = s.model.numClasses;
  const clfClasses = clf.net.config.numClasses;
  if (numClasses > 0 && numClasses !== clfClasses) {
    throw new RunError(`classifier ${clf.dir} tells ${clfClasses} classes apart; ${run.dir} is conditional on ${numClasses}`);
  }
  const guided = numClasses > 0 && (mode === 'teacher' || s.model.guidanceInput);
  const guidance = guided ? (opts.guidance ?? DEFAULT_GUIDANCE) : opts.guidance;
  const choices: readonly SamplerChoice[] =
    mode === 'teacher' ? [{ sampler: 'heun', nfe: opts.nfe ?? DEFAULT_TEACHER_NFE }] : consistencyChoices(opts.steps ?? DEFAULT_STEPS, opts.midT);
  const clfParams = toDevice(o, clf.params);
  const shape = { size: d.imageSize, channels: d.channels };
  const threshold = 1 / (2 * clfClasses);
  const coverageOf = (h: number[]) => h.filter((v) => v >= threshold).length / clfClasses;
  try {
    checkConditioning({ guidance }, s, run.dir);
    progress.update(`eval ${run.dir}: reference images`);
    // Reference: MNIST's held-out split (a folder has one split: its own images).
    const folder = d.dir !== undefined;
    const refSource = loadImages(specOf(d as ImageDataConfig), 'test', run.meta.train.sigmaD);
    const reference = refSource.all();
    const refN = Math.min(opts.n, reference.n);
    const size = d.imageSize * d.imageSize * d.channels;
    const refData = refSource.toData(reference.x.subarray(0, refN * size));
    const features = async (images: Float32Array, n: number) => classify(o, clf.net, clfParams, fitToClassifier(images, n, shape.size, shape.channels, clf), n);
    const ref = await features(refData, refN);
    const refStats = featureStats(ref.features, refN, clf.net.featureDim);
    const rows: ImageEvalRow[] = [];
    const score = (out: Awaited<ReturnType<typeof features>>, n: number, labels?: Int32Array) => {
      const h = histogram(out.predictions, clfClasses);
      return {
        fd: frechetDistance(featureStats(out.features, n, clf.net.featureDim), refStats),
        ...(labels ? { accuracy: accuracy(out.predictions, labels), perClassAccuracy: perClass(out.predictions, labels, clfClasses) } : {}),
        classHistogram: h,
        coverage: coverageOf(h),
      };
    };
    if (!folder) {
      // Two draws of real data: n training images against the test images.
      const trainSource = loadImages(specOf(d as ImageDataConfig), 'train', run.meta.train.sigmaD);
      const train = trainSource.all();
      const m = Math.min(opts.n, train.n);
      const out = await features(trainSource.toData(train.x.subarray(0, m * size)), m);
      const sameClasses = train.labels !== undefined && trainSource.classNames.length === clfClasses;
      rows.push({ sampler: 'data', nfe: 0, ...score(out, m, sameClasses ? train.labels!.subarray(0, m) : undefined), seconds: 0 });
    }
    const labels = numClasses > 0 ? Int32Array.from({ length: opts.n }, (_, i) => i % numClasses) : undefined;
    for (const c of choices) {
      progress.update(`eval ${run.dir}: ${describeSampler(c)}${guidance !== undefined ? `, guidance ${guidance}` : ''}, ${opts.n} samples`);
      const began = performance.now();
      const images = await drawSamplesOn(
        opts.backend,
        o,
        s,
        run,
        weights,
        { ...c, n: opts.n, seed: opts.seed, ...(labels ? { labels } : {}), ...(guidance !== undefined ? { guidance } : {}) },
        (line) => progress.note(line),
      );
      const seconds = (performance.now() - began) / 1000;
      const out = await features(images, opts.n);
      rows.push({
        sampler: c.sampler,
        ...(c.steps !== undefined ? { steps: c.steps } : {}),
        ...(c.midT !== undefined ? { midT: c.midT } : {}),
        nfe: nfeOf(c),
        ...(guidance !== undefined ? { guidance } : {}),
        ...(appliesCfg(s.model, guidance) ? { cfg: true } : {}),
        ...score(out, opts.n, labels),
        seconds,
      });
    }
    progress.done();
    return {
      run: run.dir,
      mode,
      step: run.meta.step,
      data: describeData(d),
      n: opts.n,
      referenceImages: refN,
      reference: folder ? `the first ${refN} images of the folder (the training images)` : `${refN} images of the ${d.name} test split (held out)`,
      seed: opts.seed,
      weights,
      classifier: { dir: relative(process.cwd(), clf.dir) || '.', heldOutAccuracy: clf.info.heldOut.accuracy, featureDim: clf.net.featureDim, imageSize: clf.net.config.imageSize },
      coverageThreshold: threshold,
      rows,
    };
  } finally {
    o.dispose([...Object.values(s.params), ...Object.values(clfParams)]);
  }
}

export function formatImageEvalTable(r: ImageEvalReport): string {
  const conditional = r.rows.some((row) => row.sampler !== 'data' && row.accuracy !== undefined);
  const header = ['sampler', 'NFE', 'guidance', 'FD', ...(conditional ? ['class acc'] : []), 'coverage', 'time'];
  const body = r.rows.map((row) => [
    row.sampler === 'data' ? 'data (train vs test)' : row.sampler === 'consistency' ? describeConsistency(row.steps, row.midT) : `${row.sampler}`,
    row.sampler === 'data' ? '-' : row.cfg ? `${row.nfe} x 2` : String(row.nfe),
    row.guidance === undefined ? '-' : `${row.guidance}${row.cfg ? ' (CFG)' : ''}`,
    row.fd.toFixed(3),
    ...(conditional ? [row.accuracy === undefined ? '-' : row.accuracy.toFixed(3)] : []),
    row.coverage.toFixed(2),
    row.sampler === 'data' ? '-' : `${row.seconds.toFixed(1)}s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const title =
    `${r.run} (${r.mode}, step ${r.step}, ${weightsLabel(r.weights)}, ${r.data}, n ${r.n}; FD in the features of ${r.classifier.dir}, ` +
    `held-out accuracy ${(100 * r.classifier.heldOutAccuracy).toFixed(1)}%; reference: ${r.reference})`;
  return [title, line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n') + '\n';
}

/** The image branch of scm eval: parses its options, scores the run, writes its report (eval.json) and prints. */
export async function runImageEval(values: OptionValues, run: LoadedRun, io: Io): Promise<void> {
  const common = commonOptions(values, { backends: BACKENDS });
  const n = optInteger(values, 'n') ?? IMAGE_EVAL_N;
  if (n < 2) throw new UsageError(`--n must be at least 2 for the Frechet distance, got ${n}`);
  const stepsRaw = str(values, 'steps');
  const nfe = optInteger(values, 'nfe');
  if (nfe !== undefined && run.meta.train.mode !== 'teacher') throw new UsageError(`--nfe is for teacher runs; ${run.dir} is a consistency run (use --steps)`);
  const classifierDir = str(values, 'classifier');
  const clf = await classifierFor(run, classifierDir === undefined ? undefined : resolve(classifierDir));
  const o = await openBackend(common.backend);
  const report = await evaluateImages(
    o,
    run,
    clf,
    {
      n,
      seed: common.seed,
      steps: stepsRaw === undefined ? undefined : parseIntegerList('steps', stepsRaw),
      midT: optMidT(values),
      nfe,
      guidance: optNumber(values, 'guidance'),
      weights: optWeights(values),
      backend: common.backend,
    },
    new Progress(io),
  );
  await saveEvalReport(run, report);
  io.out(flag(values, 'json') ? `${JSON.stringify(report, null, 2)}\n` : formatImageEvalTable(report));
}
