/** The folder of the model's files (config.json, weights, samplers), as a URL relative to this module. */
export declare const modelUrl: URL;
/** Pass to loadPipeline: the model's name and the URL of its folder. */
declare const model: { readonly name: string; readonly url: URL };
export default model;
