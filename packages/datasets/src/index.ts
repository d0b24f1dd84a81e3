/**
 * Image data sets for training and evaluation in Node: MNIST and Fashion-MNIST, colour emoji, folders
 * of PNG/JPEG images, NumPy .npy arrays, and PNG sample grids. Pixels come out NHWC, scaled to model
 * units (per-element std sigma_d).
 *
 * @module @scm/datasets
 */
export { createImageSource, DEFAULT_SIGMA_D, type ImageSource, type ImageSourceSpec, type ImageTable, type Pixels } from './image-source.js';
export { fashionMnistSource, mnistSource, type MnistSource, type MnistSourceOptions, type MnistSplit, type MnistVariant } from './mnist.js';
export { DEFAULT_EMOJI_SIZE, EMOJI_CLASS_NAMES, emojiSource, type EmojiSource, type EmojiSourceOptions, type EmojiStyle } from './emoji.js';
export { imageFolderSource, type ImageFolderOptions, type ImageFolderSource } from './image-folder.js';
export { DEFAULT_MAX_PIXELS } from './decode-image.js';
export { DATASET_NAMES, datasetByName, datasetChannels, datasetClassNames, type DatasetName, type DatasetOptions, type DatasetSource } from './registry.js';
export { encodeGridPng } from './grid-png.js';
export { decodeNpy, encodeNpy, type NpyArray } from './npy.js';
