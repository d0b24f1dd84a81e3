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
      // Plots as training goes (the first after one step; later ones spaced by the sampling's cost), and one at the end of each phase.
      const seen = reports.map((r) => `${r.phase} ${r.step}`);
      expect(seen[0]).toBe('teacher 1');
      expect(seen.at(-1)).toBe('done 5');
      // Every teacher plot comes before the student's, the last of them at the teacher's end.
      const teacherPhase = reports.filter((r) => r.phase === 'teacher');
      expect(reports.slice(0, teacherPhase.length)).toEqual(teacherPhase);
      expect(teacherPhase.at(-1)!.step).toBe(3);
      expect(reports.map((r) => r.step)).toEqual([...reports.map((r) => r.step)].sort((x, y) => x - y));
      for (const r of reports) expect(r.stepsPerSec).toBeGreaterThan(0);
      for (const r of reports) expect(r.sampler).toBe(r.phase === 'teacher' ? 'teacher, 8-step DDIM' : 'student, 1 step');
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

  it('plots each step once, with a rate above zero, when every step is a phase\'s last', async () => {
    const reports: ToyProgress[] = [];
    const engine = await createOnnxEngine({ ort: ort as unknown as OrtModule });
    await trainToy(engine, { ...OPTIONS, teacherSteps: 1, studentSteps: 1 }, (p) => reports.push(p), () => false);
    expect(reports.map((r) => `${r.phase} ${r.step}`)).toEqual(['teacher 1', 'done 2']);
    for (const r of reports) expect(r.stepsPerSec).toBeGreaterThan(0);
  }, 60_000);

  it('stops when asked, between steps', async () => {
    const reports = await run(await createOnnxEngine({ ort: ort as unknown as OrtModule }), 1);
    expect(reports.map((r) => `${r.phase} ${r.step}`)).toEqual(['teacher 1']);
  }, 60_000);
});
