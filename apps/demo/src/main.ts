/** The page's wiring: model tabs and controls to generators and to the toy trainer, results to canvases and status lines. */
import { TOY2D_NAMES, type Toy2dName } from '@scm/core';
import { DEADLINES_MS, withDeadline } from './deadline.js';
import type { BackendChoice, GenerateRequest, Generator } from './generation.js';
import { createGenerator } from './generator.js';
import { loadDemoModels, type DemoModel } from './model-files.js';
import type { Steps } from './public-files.js';
import { boundsOf, drawImageGrid, drawScatter } from './render.js';
import type { DemoState } from './state.js';
import { startToy, type ToyRun } from './toy-run.js';
import { TOY_STEPS, toyData } from './toy-training.js';
import { plural, wasmThreads } from './wasm-threads.js';
import { probeWebGpu, type WebGpuProbe } from './webgpu-probe.js';

const byId = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;

const threads = wasmThreads();
const state: DemoState = { ready: false, generated: 0, latest: {}, errors: [], isolated: self.crossOriginIsolated, wasmThreads: threads.threads };
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

// ---- sample grids ------------------------------------------------------------------------------

/**
 * Created on first use and kept while their model is shown: one session or weights upload per
 * backend, not per click. Each remembers its model, so a batch queued before a switch of model
 * never runs on the other model's sessions.
 */
const generators = new Map<BackendChoice, { readonly model: DemoModel; readonly generator: Promise<Generator> }>();

function generatorFor(choice: BackendChoice, model: DemoModel, progress: (message: string) => void): Promise<Generator> {
  const held = generators.get(choice);
  if (held?.model === model) return held.generator;
  // Another model's: generation runs one batch at a time, so none is running on it.
  if (held) void dropGenerator(choice);
  const generator = createGenerator(choice, model, progress);
  generators.set(choice, { model, generator });
  // A failed start is not kept: the next click tries again (after a network error, say).
  generator.catch(() => {
    if (generators.get(choice)?.generator === generator) generators.delete(choice);
  });
  return generator;
}

/** Frees a backend's sessions or worker: after a failed or timed-out batch (the next click starts it afresh), or for another model. */
async function dropGenerator(choice: BackendChoice): Promise<void> {
  const held = generators.get(choice);
  generators.delete(choice);
  await (await held?.generator.catch(() => undefined))?.close();
}

/** Software or missing WebGPU: WASM is the default, and the page says why; every backend stays selectable. */
function chooseDefaultBackend(probe: WebGpuProbe): void {
  const note = byId('backend-note');
  if (probe.kind === 'hardware') return;
  byId<HTMLSelectElement>('backend').value = 'ort-wasm';
  note.hidden = false;
  note.textContent =
    probe.kind === 'software'
      ? `WebGPU here is a software adapter (${probe.description}): it runs on the CPU and is much slower than WASM, so WASM is selected. You can still pick a WebGPU backend.`
      : `No WebGPU here (${probe.description}), so WASM is selected.`;
}

function showRuntime(probe: WebGpuProbe): void {
  const webgpu = probe.kind === 'none' ? `none (${probe.description})` : `${probe.description}${probe.kind === 'software' ? ' (software)' : ''}`;
  byId('runtime').textContent = `WASM: ${plural(threads.threads, 'thread')} (${threads.why}). WebGPU: ${webgpu}.`;
}

/** A tab per model; the first model's grid comes without a click. */
function setUpGrids(models: readonly DemoModel[]): void {
  const [label, steps, grid, backend] = ['label', 'steps', 'grid', 'backend'].map((id) => byId<HTMLSelectElement>(id));
  const [guidance, seed, live] = ['guidance', 'seed', 'live'].map((id) => byId<HTMLInputElement>(id));
  const canvas = byId<HTMLCanvasElement>('samples-canvas');
  const status = byId('samples-status');
  const showGuidance = () => (byId('guidance-value').textContent = Number(guidance.value).toFixed(2));
  guidance.addEventListener('input', showGuidance);
  const tabs = models.map((model) => {
    const tab = Object.assign(document.createElement('button'), { type: 'button', textContent: model.view.title });
    tab.setAttribute('role', 'tab');
    tab.dataset.model = model.view.name;
    return tab;
  });
  byId('model-tabs').replaceChildren(...tabs);
  let model = models[0];

  /** The controls of `model`'s classes and guidance; steps, seed, grid and backend stay as they are. */
  const show = (shown: DemoModel) => {
    const { view, spec } = shown;
    model = shown;
    for (const tab of tabs) tab.setAttribute('aria-selected', String(tab.dataset.model === view.name));
    fillSelect(label, view.classNames.map((name, i) => [String(i), name]), '0');
    guidance.max = String(view.guidanceMax);
    guidance.disabled = view.guidanceMax <= 1;
    guidance.value = String(view.defaultGuidance);
    showGuidance();
    byId('model-source').textContent = `@scm/model-${spec.name} (${spec.run.train.mode}, step ${spec.run.step})`;
  };

  const request = (): GenerateRequest => ({
    label: Number(label.value),
    steps: Number(steps.value) as Steps,
    guidance: Number(guidance.value),
    seed: Number(seed.value),
    count: Number(grid.value) ** 2,
  });

  const generateOnce = async () => {
    const choice = backend.value as BackendChoice;
    const current = model;
    const r = request();
    const fresh = generators.get(choice)?.model !== current;
    const generator = await generatorFor(choice, current, (message) => (status.textContent = message));
    if (fresh) status.textContent = `First batch of ${current.view.name} on ${generator.backend}: compiling kernels...`;
    const start = performance.now();
    const images = await withDeadline(generator.generate(r), DEADLINES_MS.run, `a batch of ${r.count} on ${generator.backend}`).catch(async (error: unknown) => {
      await dropGenerator(choice);
      throw error;
    });
    const ms = performance.now() - start;
    const { shape } = current.view;
    drawImageGrid(canvas, images, r.count, shape);
    // The first batch of a generator includes compiling its kernels; later ones show its speed.
    const first = fresh ? ' (first batch: includes compiling kernels)' : '';
    const threadCount = generator.threads === undefined ? '' : ` (${plural(generator.threads, 'thread')})`;
    status.textContent =
      `${generator.backend}${threadCount}: ${ms.toFixed(0)} ms for ${r.count} images in ${plural(r.steps, 'step')}${first}` +
      (generator.fallbackReason ? `. Fell back: ${generator.fallbackReason}` : '');
    state.latest[choice] = { model: current.view.name, shape, choice, backend: generator.backend, fallbackReason: generator.fallbackReason, threads: generator.threads, request: r, ms, images };
    state.generated++;
  };

  // One generation at a time: the button waits for live mode's current batch, and the other way round.
  let running: Promise<void> = Promise.resolve();
  const enqueue = (work: () => Promise<void>) =>
    (running = running.then(work).catch((error: unknown) => {
      status.textContent = 'Failed: see the error above.';
      showError(error);
    }));
  byId('generate').addEventListener('click', () => enqueue(generateOnce));
  for (const [i, tab] of tabs.entries()) {
    tab.addEventListener('click', () => {
      if (models[i] === model) return;
      show(models[i]);
      // In the queue: a batch running now keeps its sessions or worker until it is done.
      void enqueue(async () => {
        await Promise.all([...generators].filter(([, held]) => held.model !== model).map(([choice]) => dropGenerator(choice)));
        await generateOnce();
      });
    });
  }
  show(model);
  // The first grid comes without a click, as soon as the model is loaded (the status line shows the loading).
  void enqueue(generateOnce);
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

/** Training between plots: each plot samples 1000 points, a cost the steps/s leave out. */
const PLOT_EVERY_MS = 500;

function setUpToy(): void {
  const data = byId<HTMLSelectElement>('toy-data');
  const [teacherSteps, studentSteps] = ['toy-teacher-steps', 'toy-student-steps'].map((id) => byId<HTMLInputElement>(id));
  const button = byId<HTMLButtonElement>('toy-start');
  const canvas = byId<HTMLCanvasElement>('toy-canvas');
  const status = byId('toy-status');
  fillSelect(data, TOY2D_NAMES.map((name) => [name, name]), 'checkerboard');
  teacherSteps.value = String(TOY_STEPS.teacher);
  studentSteps.value = String(TOY_STEPS.student);
  let run: ToyRun | undefined;

  const start = async (): Promise<ToyRun> => {
    const name = data.value as Toy2dName;
    const options = { data: name, teacherSteps: Number(teacherSteps.value), studentSteps: Number(studentSteps.value), drawEveryMs: PLOT_EVERY_MS };
    const points = toyData(name);
    const bounds = boundsOf(points);
    drawScatter(canvas, points, new Float32Array(), bounds);
    status.textContent = 'Starting...';
    const began = performance.now();
    let backend = '';
    let current: ToyRun | undefined;
    const started = await startToy(options, (p) => {
      drawScatter(canvas, points, p.samples, bounds);
      const support = p.inSupport === undefined ? '' : ` · on the squares: ${(100 * p.inSupport).toFixed(0)}%`;
      status.textContent = `${backend} · ${p.phase} · step ${p.step} · ${p.stepsPerSec.toFixed(1)} steps/s · loss ${p.loss.toFixed(4)} · samples: ${p.sampler}${support}`;
      state.toy = {
        backend,
        phase: p.phase,
        step: p.step,
        stepsPerSec: p.stepsPerSec,
        points: p.samples.length / 2,
        ...(p.inSupport !== undefined ? { inSupport: p.inSupport } : {}),
        ms: performance.now() - began,
        ...(current?.fallbackReason ? { fallbackReason: current.fallbackReason } : {}),
      };
    });
    current = started;
    backend = started.backend + (started.fallbackReason ? ` (fell back: ${started.fallbackReason})` : '');
    status.textContent = `${backend} · compiling the training step...`;
    started.ended.then(
      () => {
        if (run === started) void toggle();
      },
      (error: unknown) => {
        showError(error);
        if (run === started) void toggle();
      },
    );
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
Promise.all([loadDemoModels(), probeWebGpu()])
  .then(([models, probe]) => {
    state.webgpu = probe;
    showRuntime(probe);
    chooseDefaultBackend(probe);
    setUpGrids(models);
  })
  .catch(showError)
  .finally(() => {
    state.ready = true;
  });
