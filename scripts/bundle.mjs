// Bundles the CLI into one ESM file (dist/rind.mjs) so each engine call loads one file, not hundreds.
import { build } from 'esbuild';
await build({
  entryPoints: ['src/cli/entry.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: 'dist/rind.mjs',
  banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
