export { modelUrl } from './index.js';
/** The model's folder on disk (Node). */
export declare const modelPath: string;
/** Pass to loadPipeline: the model's name, the URL of its folder and its path. */
declare const model: { readonly name: string; readonly url: URL; readonly path: string };
export default model;
