/**
 * What the page shows of a model, read from its config.json alone, so that the page draws any
 * folder `scm package` writes: its images' size and channels, its classes, its guidance range.
 */
import { dataUnits, type ModelSpec } from '@scm/core';

/** [height, width, channels] of one image. */
export type ImageShape = readonly [height: number, width: number, channels: number];

export interface ModelView {
  readonly name: string;
  /** The tab's text, e.g. "emoji: 32×32 colour". */
  readonly title: string;
  readonly shape: ImageShape;
  /** One per class, in label order (the labels' numbers where config.json names none). */
  readonly classNames: readonly string[];
  /** The largest guidance scale the student was trained for; 1 where it takes none. */
  readonly guidanceMax: number;
  readonly defaultGuidance: number;
}

export function viewOf(spec: ModelSpec): ModelView {
  const { shape } = dataUnits(spec.run);
  if (shape.length !== 3) throw new Error(`${spec.name} draws points, not images: the page's grids need an image model`);
  const [height, width, channels] = shape;
  const { numClasses, guidanceInput } = spec.run.model;
  return {
    name: spec.name,
    title: `${spec.name}: ${height}×${width} ${channels === 1 ? 'grey' : 'colour'}`,
    shape: [height, width, channels],
    classNames: spec.classNames ?? Array.from({ length: numClasses }, (_, i) => String(i)),
    guidanceMax: guidanceInput ? spec.run.train.guidanceMax : 1,
    defaultGuidance: spec.defaultGuidance ?? 1,
  };
}
