/**
 * Which backend a command runs on when --backend is not given: the fastest that loads. ONNX Runtime
 * trains the MLPs about three times as fast as TensorFlow.js on wasm and samples MNIST at 163 images/s
 * against 49; but onnxruntime-node is a native addon, which a platform may lack or fail to load.
 */
import { createRequire } from 'node:module';

let onnxLoads: boolean | undefined;

/** Whether onnxruntime-node loads here (tried once). */
export function canLoadOnnx(): boolean {
  if (onnxLoads === undefined) {
    try {
      createRequire(import.meta.url)('onnxruntime-node');
      onnxLoads = true;
    } catch {
      onnxLoads = false;
    }
  }
  return onnxLoads;
}

/** onnx where the command runs on it and it loads, else wasm (every command's TensorFlow.js backend). */
export function defaultBackend(backends: readonly string[], onnx: () => boolean = canLoadOnnx): 'onnx' | 'wasm' {
  return backends.includes('onnx') && onnx() ? 'onnx' : 'wasm';
}
