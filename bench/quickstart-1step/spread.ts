/**
 * bench/quickstart-1step/spread: why the quick start's energy distance ranks its 1-step student
 * above its teacher. The teacher's samples are drawn with the quick start's Heun 35 NFE and with
 * finer grids of the same ODE, and each set is measured where the energy distance looks: the
 * overall spread (the std of each coordinate), the mass off the 4 x 4 board, and the mass of each
 * of the 8 cells, beside in support and the energy distance against as many data points.
 *
 * Run after bench:quickstart-1step (it reads the teacher that bench caches under runs/):
 * npm run bench:quickstart-1step:spread. Writes bench/results/quickstart-1step-spread.{json,md};
 * about 4 minutes on 2 cores shared with other jobs.
 */
import { checkerboardSupportFraction, createMlp, decodeSafetensors, energyDistance, Rng, sample, TOY2D_RECIPE as R, toy2dSource } from '@scm/core';
import { createOnnxEngine, type OrtModule } from '@scm/onnx';
import * as ort from 'onnxruntime-node';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { markdownTable, writeResults } from '../lib.js';

const N = 40_000;
const cache = 'runs/bench-quickstart-1step/teacher-4000.safetensors';
const engine = await createOnnxEngine({ ort: ort as unknown as OrtModule, sessionOptions: { intraOpNumThreads: availableParallelism(), logSeverityLevel: 3 } });
const data = toy2dSource('checkerboard', { sigmaD: 0.5 });
const model = createMlp({ sigmaD: 0.5, width: R.width, blocks: R.blocks, inputFeatures: R.inputFeatures, inputFeatureScale: R.inputFeatureScale });
const { tensors } = decodeSafetensors(readFileSync(cache));
const params = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
const reference = data.toData(data.sample(new Rng(101), N).x);

function measure(run: string, p: Float32Array) {
  const n = p.length / 2;
  const cells = new Array<number>(16).fill(0);
  let [sxx, syy, off] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [x, y] = [p[2 * i], p[2 * i + 1]];
    sxx += x * x;
    syy += y * y;
    const [cx, cy] = [Math.floor(x + 2), Math.floor(y + 2)];
    if (cx < 0 || cx > 3 || cy < 0 || cy > 3) off++;
    else cells[cx * 4 + cy]++;
  }
  // The 8 cells of the data (i + j odd), as fractions of all samples.
  const filled = cells.filter((_, k) => (Math.floor(k / 4) + (k % 4)) % 2 === 1).map((c) => c / n);
  return { run, std: [Math.sqrt(sxx / n), Math.sqrt(syy / n)], offBoard: off / n, cellMass: [Math.min(...filled), Math.max(...filled)], support: checkerboardSupportFraction(p), energy: energyDistance(p, reference, 2) };
}

const rows = [measure('data (another draw)', data.toData(data.sample(new Rng(102), N).x))];
for (const nfe of [35, 99]) {
  rows.push(measure(`teacher, Heun ${nfe} NFE`, data.toData(await sample(engine, model, params, 0.5, { sampler: 'heun', nfe, n: N, seed: 1 }))));
  process.stderr.write(`${JSON.stringify(rows[rows.length - 1])}\n`);
}
const f = (v: number, d: number) => v.toFixed(d);
const md = [
  '# bench/quickstart-1step: the teacher\'s spread',
  '',
  `The quick start's teacher (\`${cache}\`, from \`npm run bench:quickstart-1step\`), ${N} samples (seed 1) per row on ${engine.name}, ` +
    `against ${N} data points. Std: of each coordinate (data units, the board is [-2, 2]^2); off the board: fraction of samples outside it; ` +
    'cell mass: the least and the most of the 8 cells hold (the data: 1/8 = 0.125 each).',
  '',
  markdownTable(
    ['samples', 'std x, y', 'off the board', 'cell mass, min-max', 'in support', 'energy dist.'],
    rows.map((r) => [r.run, `${f(r.std[0], 3)}, ${f(r.std[1], 3)}`, f(r.offBoard, 4), `${f(r.cellMass[0], 3)}-${f(r.cellMass[1], 3)}`, f(r.support, 3), f(r.energy, 6)]),
  ),
].join('\n');
writeResults('quickstart-1step-spread', { n: N, engine: engine.name, rows }, md);
console.log(md);
