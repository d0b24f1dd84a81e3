/**
 * The live 2D training's loop, in Node on the two kinds of engine the page uses: ONNX Runtime's
 * compiled step (the page's worker runs the same with onnxruntime-web) and core's eager step (the
 * page's fallback, there on TensorFlow.js). A few steps of each phase, a plot after every step.
 */
import * as ort from 'onnxruntime-node';
import { checkerboardInSupport, type Engine } from '@scm/core';
import { createOnnxEngine, type OrtModule } from '@scm/onnx';
import { createTfjsEngine } from '@scm/tfjs';
import { describe, expect, it } from 'vitest';
import { trainToy, type ToyProgress } from '../src/toy-training.js';

const OPTIONS = { data: 'checkerboard', teacherSteps: 3, studentSteps: 2, drawEveryMs: 0 } as const;

async function run(engine: Engine, stopAfter = Infinity): Promise<ToyProgress[]> {
  const reports: ToyProgress[] = [];
  await trainToy(engine, OPTIONS, (p) => reports.push(p), () => reports.length >= stopAfter);
  return reports;
}

describe('trainToy', () => {
  it('trains the teacher, then the student from its EMA, and reports samples on the squares; both engines alike', async () => {
    const onnx = await run(await createOnnxEngine({ ort: ort as unknown as OrtModule }));
    const eager = await run(await createTfjsEngine());
    for (const reports of [onnx, eager]) {
      // A plot after every step, and one at the end of each phase.
      expect(reports.map((r) => `${r.phase} ${r.step}`)).toEqual(['teacher 1', 'teacher 2', 'teacher 3', 'teacher 3', 'sCD 4', 'sCD 5', 'done 5']);
      expect(reports.map((r) => r.sampler)).toEqual([...new Array(4).fill('teacher, 8-step DDIM'), ...new Array(3).fill('student, 1 step')]);
      for (const r of reports) {
        expect(r.samples).toHaveLength(2000);
        expect(Number.isFinite(r.loss)).toBe(true);
        let inside = 0;
        for (let i = 0; i < 1000; i++) if (checkerboardInSupport(r.samples[2 * i], r.samples[2 * i + 1])) inside++;
        expect(r.inSupport).toBe(inside / 1000);
      }
    }
    // The compiled step and the eager one train the same model: the student's last samples agree.
    const [a, b] = [onnx.at(-1)!.samples, eager.at(-1)!.samples];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-3);
  }, 120_000);

  it('stops when asked, between steps', async () => {
    const reports = await run(await createOnnxEngine({ ort: ort as unknown as OrtModule }), 2);
    expect(reports.map((r) => `${r.phase} ${r.step}`)).toEqual(['teacher 1', 'teacher 2']);
  }, 60_000);
});
