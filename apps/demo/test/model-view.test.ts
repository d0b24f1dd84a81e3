import { readFileSync } from 'node:fs';
import { checkSpec, type ModelSpec } from '@scm/core';
import emoji from '@scm/model-emoji';
import mnist from '@scm/model-mnist';
import { describe, expect, it } from 'vitest';
import { viewOf } from '../src/model-view.js';

const specOf = (model: { readonly url: URL }): ModelSpec => checkSpec(JSON.parse(readFileSync(new URL('config.json', model.url), 'utf8'))).spec;

describe('viewOf: what the page shows of a model, from its config.json', () => {
  it('@scm/model-mnist: 28x28 grey digits named 0 to 9, guidance 1 to 2', () => {
    expect(viewOf(specOf(mnist))).toEqual({
      name: 'mnist',
      title: 'mnist: 28×28 grey',
      shape: [28, 28, 1],
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      guidanceMax: 2,
      defaultGuidance: 1.5,
    });
  });

  it('@scm/model-emoji: 32x32 colour in its nine categories', () => {
    const spec = specOf(emoji);
    const view = viewOf(spec);
    expect(view).toMatchObject({ name: 'emoji', title: 'emoji: 32×32 colour', shape: [32, 32, 3], guidanceMax: spec.run.train.guidanceMax });
    expect(view.classNames).toEqual(['Smileys & Emotion', 'People & Body', 'Animals & Nature', 'Food & Drink', 'Travel & Places', 'Activities', 'Objects', 'Symbols', 'Flags']);
  });

  it('numbers the classes of a config without names, and takes no guidance where the student has no guidance input', () => {
    const { classNames, defaultGuidance, ...spec } = specOf(mnist);
    const view = viewOf({ ...spec, run: { ...spec.run, model: { ...spec.run.model, numClasses: 3, guidanceInput: false } } });
    expect(view).toMatchObject({ classNames: ['0', '1', '2'], guidanceMax: 1, defaultGuidance: 1 });
  });
});
