import { describe, expect, it } from 'vitest';
import { parseModelIndex } from '../src/public-files.js';

describe('parseModelIndex: the models/index.json the build step writes', () => {
  it('gives the model folders in order', () => {
    expect(parseModelIndex('["mnist", "emoji", "fashion-mnist"]\n', '/models/index.json')).toEqual(['mnist', 'emoji', 'fashion-mnist']);
  });

  it.each([
    ['{"models": ["mnist"]}', 'not a list'],
    ['[]', 'empty'],
    ['["../secrets"]', 'a path, not a folder name'],
    ['["mnist", "mnist"]', 'a name twice'],
    ['[7]', 'not a name'],
  ])('refuses %s (%s), naming the file and the build step', (text) => {
    expect(() => parseModelIndex(text, '/models/index.json')).toThrow(/^\/models\/index\.json must list distinct model folder names, got .*; the build step writes it: npm run models -w @scm\/demo$/);
  });

  it('says when it is not JSON', () => {
    expect(() => parseModelIndex('<!doctype html>', '/models/index.json')).toThrow(/^\/models\/index\.json is not JSON \(.*\); the build step writes it/);
  });
});
