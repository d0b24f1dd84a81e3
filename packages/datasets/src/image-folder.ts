/**
 * A folder of PNG and JPEG files as a `DataSource`, loaded synchronously into one Float32Array.
 *
 * Files are found recursively and taken in sorted path order (plain code-unit order, the same in
 * every locale), so a folder always gives the same dataset. Files with other extensions are
 * skipped and listed in `ignoredFiles`. With classes 'subfolders', each folder directly inside
 * `dir` is a class (sorted by name; label i is classNames[i]) holding every image below it.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { decodeImageFile, DEFAULT_MAX_PIXELS, type Rgba } from './decode-image.js';
import { createImageSource, type ImageSource } from './image-source.js';
import { centerSquare, resampleInto, type Window } from './resample.js';

/** Options of {@link imageFolderSource}. */
export interface ImageFolderOptions {
  /**
   * Side of the square samples: each image's centred square is area-averaged to size x size.
   * Without it images are used as they are and must all have the same width and height.
   */
  readonly size?: number;
  /** 1: grayscale (BT.601 luma), 3: RGB (default). Alpha is dropped. */
  readonly channels?: 1 | 3;
  /** Target std in model units. Default 0.5. */
  readonly sigmaD?: number;
  /** 'subfolders': the folders in `dir` are classes, and samples carry labels. Default 'none'. */
  readonly classes?: 'subfolders' | 'none';
  /**
   * Most pixels one image may claim in its header (default 4096 x 4096), checked before it is
   * decoded; the file may have at most 8 bytes per pixel plus 1 MiB.
   */
  readonly maxPixels?: number;
}

/** An image folder as an {@link ImageSource}, with the files it was read from. */
export interface ImageFolderSource extends ImageSource {
  /** The image files, in the order of `all()`. */
  readonly files: readonly string[];
  /** Files found but skipped for their extension. */
  readonly ignoredFiles: readonly string[];
}

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
const EXTENSION_LIST = IMAGE_EXTENSIONS.join(', ');

/**
 * Every PNG and JPEG below `dir` as an {@link ImageSource}, read synchronously (Node only).
 *
 * @param dir - The folder; with `classes: 'subfolders'`, each folder directly inside is a class.
 * @throws Error naming the file or option when a file cannot be decoded, claims more than
 *   `maxPixels`, has a size other than the rest (without `size`), or when no image is found.
 */
export function imageFolderSource(dir: string, options: ImageFolderOptions = {}): ImageFolderSource {
  const root = resolve(dir);
  const channels = options.channels ?? 3;
  const classes = options.classes ?? 'none';
  if (channels !== 1 && channels !== 3) throw new Error(`imageFolderSource: channels must be 1 or 3, got ${channels}`);
  if (classes !== 'none' && classes !== 'subfolders') {
    throw new Error(`imageFolderSource: classes must be "subfolders" or "none", got ${JSON.stringify(classes)}`);
  }
  if (options.size !== undefined && !(Number.isInteger(options.size) && options.size > 0)) {
    throw new Error(`imageFolderSource: size must be a positive integer, got ${options.size}`);
  }
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(Number.isSafeInteger(maxPixels) && maxPixels > 0)) throw new Error(`imageFolderSource: maxPixels must be a positive integer, got ${maxPixels}`);
  if (!isFolder(root)) throw new Error(`image folder ${root} does not exist or is not a folder`);

  const listing = classes === 'subfolders' ? listClassFolders(root) : { ...listTree(root), classNames: [] };
  if (listing.files.length === 0) throw new Error(`no images (${EXTENSION_LIST}) found in ${root}`);
  const pixels = loadImages(listing.files, channels, options.size, maxPixels);
  const source = createImageSource({
    name: basename(root),
    table: { ...pixels, channels, n: listing.files.length, labels: listing.labels },
    sigmaD: options.sigmaD,
    classNames: listing.classNames,
    conditional: classes === 'subfolders',
  });
  return { ...source, files: listing.files, ignoredFiles: listing.ignored };
}

interface Listing {
  readonly files: string[];
  readonly ignored: string[];
  readonly labels?: Int32Array;
}

function listClassFolders(root: string): Listing & { classNames: string[] } {
  const listing = { files: [] as string[], ignored: [] as string[] };
  const classNames: string[] = [];
  const labels: number[] = [];
  for (const entry of sortedEntries(root)) {
    const path = join(root, entry);
    if (isFolder(path)) {
      const before = listing.files.length;
      walk(path, listing);
      if (listing.files.length === before) throw new Error(`class folder ${path} has no images (${EXTENSION_LIST})`);
      while (labels.length < listing.files.length) labels.push(classNames.length);
      classNames.push(entry);
    } else if (isImageName(entry)) {
      throw new Error(`${path} lies outside any class folder: with classes 'subfolders', images go in ${root}/<class>/`);
    } else {
      listing.ignored.push(path);
    }
  }
  return { ...listing, labels: Int32Array.from(labels), classNames };
}

function listTree(folder: string): Listing {
  const listing = { files: [] as string[], ignored: [] as string[] };
  walk(folder, listing);
  return listing;
}

/**
 * Appends the image files below `folder` and the skipped ones (no spreading: folders can be huge).
 * Linked folders are followed once: `seen` holds the folders entered, so a link loop ends.
 */
function walk(folder: string, into: { files: string[]; ignored: string[] }, seen = new Set<string>()): void {
  const id = folderId(folder);
  if (seen.has(id)) return;
  seen.add(id);
  for (const entry of sortedEntries(folder)) {
    const path = join(folder, entry);
    if (isFolder(path)) walk(path, into, seen);
    else (isImageName(entry) ? into.files : into.ignored).push(path);
  }
}

function folderId(folder: string): string {
  const s = statSync(folder);
  return `${s.dev}:${s.ino}`;
}

/** Decodes every file into one [n, height, width, channels] array in [-1, 1]. */
function loadImages(files: string[], channels: 1 | 3, size: number | undefined, maxPixels: number): { pixels: Float32Array; height: number; width: number } {
  let first: { file: string; image: Rgba } | undefined;
  let pixels = new Float32Array(0);
  let width = 0;
  let height = 0;
  files.forEach((file, i) => {
    const image = decodeImageFile(file, maxPixels);
    if (!first) {
      first = { file, image };
      [width, height] = size === undefined ? [image.width, image.height] : [size, size];
      pixels = new Float32Array(files.length * width * height * channels);
    } else if (size === undefined && (image.width !== width || image.height !== height)) {
      throw new Error(
        `images differ in size: ${first.file} is ${width}x${height} but ${file} is ${image.width}x${image.height} ` +
          '(width x height); pass size to center-crop and resize them to one square size',
      );
    }
    const window: Window = size === undefined ? { x: 0, y: 0, width, height } : centerSquare(image.width, image.height);
    resampleInto(image, window, width, height, channels, pixels, i * width * height * channels);
  });
  return { pixels, height, width };
}

function sortedEntries(folder: string): string[] {
  return readdirSync(folder).sort();
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
}
