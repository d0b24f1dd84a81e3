import { libraryConfig } from '../../tsup.base.js';

// tfjs-core's declarations name the global `Long` of @types/long without referencing it: a consumer
// whose tsconfig lists its `types` would not find it, unless our declarations reference it.
export default libraryConfig({ index: 'src/index.ts' }, '/// <reference types="long" />');
