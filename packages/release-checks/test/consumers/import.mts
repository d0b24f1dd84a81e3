// An ES module TypeScript consumer: the same packages through import.
import { Rng, type TensorOps } from '@scm/core';
import { ReferenceOps } from '@scm/core/testing';
import { createTfjsOps } from '@scm/tfjs';

export const rng: Rng = new Rng(0);
export const reference: TensorOps<unknown> = new ReferenceOps() as TensorOps<unknown>;
export const ops: Promise<TensorOps<unknown>> = createTfjsOps({ backend: 'cpu' }) as Promise<TensorOps<unknown>>;
