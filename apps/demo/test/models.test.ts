/** The build step (scripts/models.ts): model folders and their index in public/. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_PACKAGE_DIRS, ModelsError, writeModels } from '../scripts/models.js';
import { modelDir, MODELS_INDEX, parseModelIndex } from '../src/public-files.js';

const [mnist, emoji] = MODEL_PACKAGE_DIRS;
const scratch = mkdtempSync(join(tmpdir(), 'scm-demo-models-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('writeModels', () => {
  it('writes each model to a folder of its name and lists them, in the order given, in the index', async () => {
    const publicDir = join(scratch, 'public');
    // A model of an earlier build, which the index would no longer list.
    mkdirSync(join(publicDir, modelDir('stale')), { recursive: true });
    const specs = await writeModels([emoji, mnist], publicDir);
    expect(specs.map((s) => s.name)).toEqual(['emoji', 'mnist']);
    expect(parseModelIndex(readFileSync(join(publicDir, MODELS_INDEX), 'utf8'), MODELS_INDEX)).toEqual(['emoji', 'mnist']);
    for (const [name, folder] of [['emoji', emoji], ['mnist', mnist]]) {
      const files = ['config.json', 'model.safetensors', 'sampler-1step.onnx', 'sampler-2step.onnx'];
      expect(readdirSync(join(publicDir, modelDir(name))).sort()).toEqual(files);
      for (const file of files) expect(readFileSync(join(publicDir, modelDir(name), file)).equals(readFileSync(join(folder, file)))).toBe(true);
    }
    expect(existsSync(join(publicDir, modelDir('stale')))).toBe(false);
  });

  it('refuses two folders of one model name before writing anything', async () => {
    const publicDir = join(scratch, 'twice');
    await expect(writeModels([mnist, emoji, mnist], publicDir)).rejects.toThrow(new ModelsError('two of the folders hold a model named "mnist": the page keeps one folder per name'));
    expect(existsSync(publicDir)).toBe(false);
  });
});
