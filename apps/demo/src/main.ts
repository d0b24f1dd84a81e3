/** The page's wiring: controls to generators and to the toy trainer, results to canvases and status lines. */
import { TOY2D_NAMES, type Toy2dName } from '@scm/core';
import { createGenerator, loadManifest, type BackendChoice, type GenerateRequest, type Generator, type LoadedManifest } from './generator.js';
import type { Steps } from './public-files.js';
import { boundsOf, drawImageGrid, drawScatter } from './render.js';
import type { DemoState } from './state.js';
import type { ToyRun } from './toy-training.js';

const byId = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;

const state: DemoState = { ready: false, generated: 0, latest: {}, errors: [] };
window.scmDemo = state;

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.errors.push(message);
  const box = byId('error');
  box.hidden = false;
  box.textContent = message;
  console.error(error);
}

function fillSelect(select: HTMLSelectElement, options: readonly (readonly [value: string, text: string])[], selected: string): void {
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value, false, value === selected)));
}

// ---- digits -------------------------------------------------------------------------------------

/** Created on first use and kept: one session or weights upload per backend, not per click. */
const generators = new Map<BackendChoice, Promise<Generator>>();

function generatorFor(choice: BackendChoice, loaded: LoadedManifest): Promise<Generator> {
  let generator = generators.get(choice);
  if (!generator) {
    generator = createGenerator(choice, loaded);
    generators.set(choice, generator);
  }
  return generator;
}

function setUpDigits(loaded: LoadedManifest): void {
  const { manifest } = loaded;
  const [label, steps, grid, backend] = ['label', 'steps', 'grid', 'backend'].map((id) => byId<HTMLSelectElement>(id));
  const [guidance, seed, live] = ['guidance', 'seed', 'live'].map((id) => byId<HTMLInputElement>(id));
  const canvas = byId<HTMLCanvasElement>('digits-canvas');
  const status = byId('digits-status');
  fillSelect(label, manifest.classNames.map((name, i) => [String(i), name]), '0');
  guidance.max = String(manifest.guidanceMax);
  guidance.disabled = manifest.guidanceMax <= 1;
  guidance.value = String(Math.min(1.5, manifest.guidanceMax));
  const showGuidance = () => (byId('guidance-value').textContent = Number(guidance.value).toFixed(2));
  guidance.addEventListener('input', showGuidance);
  showGuidance();
  byId('model-source').textContent = `${manifest.source.run}, step ${manifest.source.step}`;
  byId('stand-in').hidden = !manifest.source.standIn;

  const request = (): GenerateRequest => ({
    label: Number(label.value),
    steps: Number(steps.value) as Steps,
    guidance: Number(guidance.value),
    seed: Number(seed.value),
    count: Number(grid.value) ** 2,
  });

  const generateOnce = async () => {
    const choice = backend.value as BackendChoice;
    const r = request();
    if (!generators.has(choice)) status.textContent = 'Loading the model...';
    const generator = await generatorFor(choice, loaded);
    const start = performance.now();
    const images = await generator.generate(r);
    const ms = performance.now() - start;
    const { imageSize, channels } = manifest.model;
    drawImageGrid(canvas, images, r.count, imageSize, channels);
    // The first batch on a backend includes compiling its kernels; later ones show its speed.
    const first = state.latest[choice] === undefined ? ' (first batch: includes compiling kernels)' : '';
    status.textContent =
      `${generator.backend}: ${ms.toFixed(0)} ms for ${r.count} images in ${r.steps} step${r.steps > 1 ? 's' : ''}${first}` +
      (generator.fallbackReason ? `. Fell back: ${generator.fallbackReason}` : '');
    state.latest[choice] = { choice, backend: generator.backend, fallbackReason: generator.fallbackReason, request: r, ms, images };
    state.generated++;
  };

  // One generation at a time: the button waits for live mode's current batch, and the other way round.
  let running: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) => (running = running.then(work).catch(showError));
  byId('generate').addEventListener('click', () => enqueue(generateOnce));
  let looping = false;
  live.addEventListener('change', () => {
    if (!live.checked || looping) return;
    looping = true;
    const next = async (): Promise<void> => {
      if (!live.checked) {
        looping = false;
        return;
      }
      seed.value = String(Number(seed.value) + 1);
      try {
        await generateOnce();
      } catch (error) {
        live.checked = looping = false;
        throw error;
      }
      // A frame between batches: the page paints each grid and handles input (wasm inference never yields by itself).
      await new Promise(requestAnimationFrame);
      void enqueue(next);
    };
    void enqueue(next);
  });
}

// ---- toy training -------------------------------------------------------------------------------

function setUpToy(): void {
  const data = byId<HTMLSelectElement>('toy-data');
  const [teacherSteps, drawEvery] = ['toy-teacher-steps', 'toy-draw-every'].map((id) => byId<HTMLInputElement>(id));
  const button = byId<HTMLButtonElement>('toy-start');
  const canvas = byId<HTMLCanvasElement>('toy-canvas');
  const status = byId('toy-status');
  fillSelect(data, TOY2D_NAMES.map((name) => [name, name]), 'checkerboard');
  let run: ToyRun | undefined;

  const start = async (): Promise<ToyRun> => {
    const [{ describeTfjsBackend, tfjsOps }, { startToyTraining }] = await Promise.all([import('./tfjs-ops.js'), import('./toy-training.js')]);
    const { ops, backend } = await tfjsOps();
    const backendName = describeTfjsBackend(backend);
    const options = { data: data.value as Toy2dName, teacherSteps: Number(teacherSteps.value), drawEvery: Math.max(1, Number(drawEvery.value)) };
    const started = startToyTraining(
      ops,
      options,
      (p) => {
        drawScatter(canvas, started.data, p.samples, bounds);
        status.textContent = `${backendName} · ${p.phase} · step ${p.step} · ${p.stepsPerSec.toFixed(1)} steps/s · loss ${p.loss.toFixed(4)} · samples: ${p.sampler}`;
        state.toy = { backend: backendName, phase: p.phase, step: p.step, stepsPerSec: p.stepsPerSec, points: p.samples.length / 2 };
      },
      (error) => {
        showError(error);
        void toggle();
      },
    );
    // Reports come only after the first steps, by which time the frame is set.
    const bounds = boundsOf(started.data);
    drawScatter(canvas, started.data, new Float32Array(), bounds);
    status.textContent = `${backendName} · starting...`;
    return started;
  };

  // Disabled while it starts or stops, so that one click is one run.
  const toggle = async () => {
    button.disabled = true;
    try {
      if (run) {
        await run.stop();
        run = undefined;
      } else {
        run = await start();
      }
    } catch (error) {
      showError(error);
    } finally {
      button.textContent = run ? 'Stop training' : 'Start training';
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => void toggle());
}

setUpToy();
loadManifest()
  .then(setUpDigits)
  .catch(showError)
  .finally(() => {
    state.ready = true;
  });
