import { fileURLToPath } from 'node:url';
import model, { modelUrl } from './index.js';
/** The model's folder on disk. */
export const modelPath = fileURLToPath(new URL('./model', import.meta.url));
export { modelUrl };
export default { ...model, path: modelPath };
