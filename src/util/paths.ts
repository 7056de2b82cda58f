// Where rind's own files are: its installation (repo root) and its cache.
// Pure lookups: nothing here creates a file.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RindError } from './errors.js';
import { rindEnv } from './env.js';

export function cacheDir(): string {
  return rindEnv.cache();
}

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'rind') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new RindError('cannot find the rind installation (package.json)');
    dir = up;
  }
}

/** An installed file rind cannot run without: its real path, or a one-line error naming it and the fix. */
export function need(label: string, path: string, hint: string): string {
  if (!existsSync(path)) throw new RindError(`${label} not found at ${path}: ${hint}`);
  return realpathSync(path);
}
