// Bundles the CLI (dist/cli/entry.mjs + lazily loaded chunks, minified) so each engine call parses
// only what its command needs: Node start-up is paid on every call Podman or containerd makes.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/cli', { recursive: true, force: true }); // no stale chunks from earlier builds
const result = await build({
  entryPoints: ['src/cli/entry.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: 'dist/cli',
  splitting: true,
  minify: true,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  metafile: true,
});

// The benchmark (bench/) must stay in lazily imported chunks: no engine call may parse it.
const outputs = result.metafile.outputs;
const eager = new Set();
const todo = ['dist/cli/entry.mjs'];
while (todo.length) {
  const out = todo.pop();
  if (eager.has(out)) continue;
  eager.add(out);
  for (const i of outputs[out].imports) if (i.kind === 'import-statement' && !i.external) todo.push(i.path);
}
const leaked = [...eager].flatMap((o) => Object.keys(outputs[o].inputs).filter((f) => f.startsWith('bench/')).map((f) => `${f} (in ${o})`));
if (leaked.length) throw new Error(`bench code statically reachable from dist/cli/entry.mjs: ${leaked.join(', ')}`);
