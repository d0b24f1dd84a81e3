/** Where the files of @scm/model-mnist are: pass the default export to @scm/core's loadPipeline. */
export const modelUrl = new URL('./model/', import.meta.url);
export default { name: 'mnist', url: modelUrl };
