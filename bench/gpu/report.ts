/**
 * bench/gpu's table: the WebGPU run (device.ts) against PyTorch (torch_bench.py), as ratios of
 * median milliseconds. Bundled into the pack as report.mjs for run.sh; here:
 *   node --import tsx bench/gpu/report.ts webgpu.json torch.json OUTDIR   (writes OUTDIR/gpu.{json,md})
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface Timed {
  readonly ms: number;
  readonly firstMs: number;
}
interface WebGpuReport {
  readonly backend: string;
  readonly adapter: { readonly available: boolean; readonly info: Record<string, string>; readonly reason?: string };
  readonly node: string;
  readonly conformance: { readonly cases: number; readonly failed: number; readonly failures: readonly { name: string; error: string }[]; readonly seconds: number };
  readonly forwardRelativeError: number;
  readonly primitives: readonly { op: string; firstMs: number; medianMs: number }[];
  readonly timings: readonly { name: string; batch: number; params: number; scdStep: Timed; sample1: Timed; sample2: Timed }[];
}
type TorchTimings = Record<'scdStep' | 'sample1' | 'sample2', Timed>;
interface TorchReport {
  readonly torch: string;
  readonly device: string;
  readonly crosscheck: { readonly ok: boolean; readonly cases: Record<string, { float32: { headline: Record<string, number>; failed: string[] } }> };
  readonly timings: Record<string, { batch: number; tf32Off: TorchTimings; tf32On: TorchTimings }>;
}

const [webgpuFile, torchFile, outDir] = process.argv.slice(2);
if (!webgpuFile || !torchFile || !outDir) throw new Error('usage: report WEBGPU.json TORCH.json OUTDIR');
const webgpu = JSON.parse(readFileSync(webgpuFile, 'utf8')) as WebGpuReport;
const torch = JSON.parse(readFileSync(torchFile, 'utf8')) as TorchReport;

const table = (headers: string[], rows: (string | number)[][]) =>
  [headers, headers.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const KINDS = [
  ['scdStep', 'sCD training step'],
  ['sample1', '1-step sampling'],
  ['sample2', '2-step sampling'],
] as const;

const rows: (string | number)[][] = [];
const ratios: Record<string, Record<string, { webgpuMs: number; torchTf32OffMs: number; torchTf32OnMs: number; vsTf32Off: number; vsTf32On: number }>> = {};
for (const w of webgpu.timings) {
  const t = torch.timings[w.name];
  if (!t) throw new Error(`${torchFile} has no timings for ${w.name}`);
  if (t.batch !== w.batch) throw new Error(`${w.name}: WebGPU ran batch ${w.batch}, PyTorch batch ${t.batch}`);
  for (const [key, label] of KINDS) {
    const r = { webgpuMs: w[key].ms, torchTf32OffMs: t.tf32Off[key].ms, torchTf32OnMs: t.tf32On[key].ms, vsTf32Off: w[key].ms / t.tf32Off[key].ms, vsTf32On: w[key].ms / t.tf32On[key].ms };
    (ratios[w.name] ??= {})[key] = r;
    rows.push([`${w.name} (${(w.params / 1e6).toFixed(2)}M params)`, label, w.batch, ms(r.webgpuMs), ms(r.torchTf32OffMs), ms(r.torchTf32OnMs), r.vsTf32Off.toFixed(1), r.vsTf32On.toFixed(1)]);
  }
}

const adapter = webgpu.adapter.available ? Object.values(webgpu.adapter.info).filter(Boolean).join(', ') : `none (${webgpu.adapter.reason})`;
const md = [
  '# bench/gpu',
  '',
  `WebGPU: @scm/webgpu (tfjs-backend-webgpu) on ${webgpu.backend === 'webgpu' ? 'Dawn' : `tfjs-${webgpu.backend} (NOT WebGPU: a check of the script)`}, adapter ${adapter}, Node ${webgpu.node}. ` +
    `PyTorch ${torch.torch} on ${torch.device}, float32, TF32 off and on. Median ms per call (read back / synchronised).`,
  '',
  `Conformance on this backend: ${webgpu.conformance.cases - webgpu.conformance.failed}/${webgpu.conformance.cases} cases passed (${webgpu.conformance.seconds.toFixed(0)} s)` +
    (webgpu.conformance.failed ? `; failed: ${webgpu.conformance.failures.map((f) => f.name).join(', ')}` : '') +
    `. U-Net forward vs wasm: relative error ${webgpu.forwardRelativeError.toExponential(1)}. ` +
    `PyTorch port vs ours (float32): ${torch.crosscheck.ok ? 'all checks passed' : 'FAILED'}; forward ${Object.entries(torch.crosscheck.cases).map(([name, c]) => `${name} ${c.float32.headline['out/F'].toExponential(1)}`).join(', ')}.`,
  '',
  table(['network', 'work', 'batch', 'WebGPU ms', 'PyTorch ms (TF32 off)', 'PyTorch ms (TF32 on)', 'WebGPU / PyTorch (off)', 'WebGPU / PyTorch (on)'], rows),
  '',
  '## Primitives on WebGPU',
  '',
  table(['op', 'first ms', 'median ms'], webgpu.primitives.map((p) => [p.op, ms(p.firstMs), ms(p.medianMs)])),
].join('\n');

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'gpu.json'), JSON.stringify({ webgpu, torch, ratios }, null, 2) + '\n');
writeFileSync(join(outDir, 'gpu.md'), md + '\n');
console.log(md);
