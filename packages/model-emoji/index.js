/** Where the files of @scm/model-emoji are: pass the default export to @scm/core's loadPipeline. */
export const modelUrl = new URL('./model/', import.meta.url);
export default { name: 'emoji', url: modelUrl };
