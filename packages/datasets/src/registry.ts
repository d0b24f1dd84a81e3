/** The built-in datasets by the names a command line uses. */
import { CLASS_NAMES, mnistSource, type MnistSource, type MnistSourceOptions, type MnistVariant } from './mnist.js';

/** The names {@link datasetByName} accepts. */
export const DATASET_NAMES = ['mnist', 'fashion-mnist'] as const;
/** One of {@link DATASET_NAMES}. */
export type DatasetName = (typeof DATASET_NAMES)[number];

const VARIANTS: Record<DatasetName, MnistVariant> = { mnist: 'mnist', 'fashion-mnist': 'fashion' };

/**
 * The built-in data set called `name` ('mnist' or 'fashion-mnist') with `options`.
 *
 * @throws Error for an unknown name, listing the known ones; otherwise as {@link mnistSource}.
 */
export function datasetByName(name: string, options: Omit<MnistSourceOptions, 'variant'>): MnistSource {
  if (!Object.hasOwn(VARIANTS, name)) {
    throw new Error(`unknown dataset ${JSON.stringify(name)}: choose one of ${DATASET_NAMES.join(', ')}`);
  }
  return mnistSource({ ...options, variant: VARIANTS[name as DatasetName] });
}

/**
 * The class names of the built-in data set `name`, in label order, without loading its images.
 *
 * @throws Error for an unknown name, listing the known ones.
 */
export function datasetClassNames(name: string): readonly string[] {
  if (!Object.hasOwn(VARIANTS, name)) throw new Error(`unknown dataset ${JSON.stringify(name)}: choose one of ${DATASET_NAMES.join(', ')}`);
  return CLASS_NAMES[VARIANTS[name as DatasetName]];
}
