/**
 * Builds bench/gpu/pack/: everything the GPU machine (x86-64 Linux, an NVIDIA GPU with its Vulkan
 * driver, Python with PyTorch; no Node, no network) needs besides this repository's tracked files:
 *
 *   node.xz          this Node binary, xz-compressed
 *   bench.mjs        device.ts with @scm/core, @scm/webgpu and tfjs bundled in (one file)
 *   report.mjs       report.ts, likewise
 *   node_modules/webgpu/   the `webgpu` package's loader and its linux-x64 Dawn build (xz) only
 *   deb/             the Vulkan loader (Debian's libvulkan1), for machines whose image lacks it
 *   crosscheck.*, *.safetensors   from crosscheck.ts: the timed networks' weights and our outputs
 *
 * Run here after npm run build: npm run bench:gpu:pack. Then on the GPU machine, from the
 * repository root: bash bench/gpu/run.sh (README.md beside this file).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The Dawn build this bench was written against; its loader API (create, globals) is what device.ts uses. */
const WEBGPU_VERSION = '0.6.2';
const MAX_PACK_MB = 60;

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '../..');
const pack = join(here, 'pack');

if (process.platform !== 'linux' || process.arch !== 'x64') {
  throw new Error(`the GPU machine is x86-64 Linux; this Node is ${process.platform}-${process.arch}, so its binary would not run there`);
}
rmSync(pack, { recursive: true, force: true });
mkdirSync(pack, { recursive: true });

const run = (cmd: string, args: string[], cwd = root) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

process.stderr.write('compressing the node binary\n');
writeFileSync(join(pack, 'node.xz'), execFileSync('xz', ['-T0', '-6', '-c', process.execPath], { maxBuffer: 1 << 30 }));

// tfjs ships CommonJS that requires Node built-ins; an ES module bundle needs a real `require` for them.
const banner = "import { createRequire as __scmCreateRequire } from 'node:module'; const require = __scmCreateRequire(import.meta.url);";
for (const name of ['device', 'report']) {
  await build({
    entryPoints: [join(here, `${name}.ts`)],
    outfile: join(pack, name === 'device' ? 'bench.mjs' : 'report.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu'],
    banner: { js: banner },
    // tfjs backends register themselves on import, yet some declare themselves free of side effects.
    ignoreAnnotations: true,
    logLevel: 'warning',
  });
}

process.stderr.write(`webgpu@${WEBGPU_VERSION} (linux-x64 only)\n`);
const scratch = mkdtempSync(join(tmpdir(), 'scm-gpu-pack-'));
try {
  const tarball = run('npm', ['pack', `webgpu@${WEBGPU_VERSION}`, '--silent'], scratch).trim().split('\n').at(-1)!;
  run('tar', ['xzf', tarball], scratch);
  const to = join(pack, 'node_modules/webgpu');
  mkdirSync(join(to, 'dist'), { recursive: true });
  for (const f of ['package.json', 'index.js', 'LICENSE.md']) cpSync(join(scratch, 'package', f), join(to, f));
  // dawn.node is 21 MB, 5 MB compressed; run.sh unpacks it.
  mkdirSync(join(to, 'dist/linux-x64'));
  writeFileSync(join(to, 'dist/linux-x64/dawn.node.xz'), execFileSync('xz', ['-T0', '-6', '-c', join(scratch, 'package/dist/linux-x64/dawn.node')], { maxBuffer: 1 << 28 }));

  process.stderr.write('libvulkan1 (amd64) from Debian\n');
  const lists = join(scratch, 'apt-lists');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  const apt = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  mkdirSync(join(pack, 'deb'));
  try {
    run('apt-get', [...apt, 'update', '-qq']);
    run('apt-get', [...apt, 'download', 'libvulkan1'], join(pack, 'deb'));
  } catch (error) {
    process.stderr.write(`could not download libvulkan1 (${(error as Error).message.split('\n')[0]}): run.sh then needs the machine's own Vulkan loader\n`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

process.stderr.write('cross-check inputs and weights\n');
run(process.execPath, ['--import', 'tsx', join(here, 'crosscheck.ts'), pack]);

const sizeOf = (path: string): number => (statSync(path).isDirectory() ? readdirSync(path).reduce((a, f) => a + sizeOf(join(path, f)), 0) : statSync(path).size);
const mb = sizeOf(pack) / 2 ** 20;
process.stderr.write(`pack: ${mb.toFixed(1)} MB in ${pack}\n`);
if (mb > MAX_PACK_MB) throw new Error(`the pack is ${mb.toFixed(1)} MB, over the ${MAX_PACK_MB} MB that can be copied to the GPU machine`);
