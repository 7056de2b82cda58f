// Small file helpers every layer uses: atomic writes (tmp + rename) and file identities for cache keys.
// No policy: callers decide paths and modes.
import { renameSync, statSync, writeFileSync } from 'node:fs';

export function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * A file's identity for cache keys (one stat, no hashing of a 21 MB kernel per call): path, inode,
 * size, mtime and ctime — any write changes ctime, which no one can set back.
 */
export function fileIdentity(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${path}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}
