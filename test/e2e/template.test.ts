// End-to-end: VMs cloned from a template are distinct machines (hostname, MAC, randomness, clock),
// templates are rebuilt when the kernel or agent changes, and a corrupt template falls back to a boot.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync, closeSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, cleanup, leftovers, waitFor, REPO } from './harness.js';

const env = newEnv('template');
const cache = join(env.work, 'cache');
mkdirSync(cache);
const runEnv = { ...process.env, RIND_CACHE: cache };
after(() => cleanup(env));

const templates = () => (existsSync(join(cache, 'templates')) ? readdirSync(join(cache, 'templates')).filter((d) => /^[0-9a-f]{20}$/.test(d)) : []);

function identityOf(name: string, extra: NodeJS.ProcessEnv = {}): { out: string[]; log: string } {
  const b = makeBundle(env, name, ['sh', '-c', 'hostname; cat /proc/sys/kernel/random/boot_id; head -c 16 /dev/urandom | od -A n -t x1; date +%Y; cat /sys/class/net/eth0/address 2>/dev/null || echo no-nic'], (s) => (s.hostname = name));
  const logFile = join(env.work, `${name}.log`);
  const r = rind(env, ['--log', logFile, '--log-format', 'json', 'run', '--bundle', b, name], { env: { ...runEnv, ...extra } });
  assert.equal(r.status, 0, r.stderr.toString());
  return { out: r.stdout.toString().trim().split('\n'), log: existsSync(logFile) ? readFileSync(logFile, 'utf8') : '' };
}

test('two clones of one template are distinct machines with the right clock', () => {
  const a = identityOf('clone-a');
  assert.equal(templates().length, 1, 'the first create built one template');
  const b = identityOf('clone-b');
  assert.equal(templates().length, 1, 'the second create reused it');
  assert.equal(a.out[0], 'clone-a');
  assert.equal(b.out[0], 'clone-b');
  assert.notEqual(a.out[1], b.out[1], 'boot_id must differ');
  assert.notEqual(a.out[2], b.out[2], 'random bytes must differ');
  assert.equal(a.out[3], String(new Date().getUTCFullYear()), 'the clock is corrected');
  assert.ok(!a.log.includes('falling back') && !b.log.includes('falling back'), a.log + b.log);
});

/** Changes a file's bytes in place (same path, mtime set back): trailing zeros, which cpio and ELF loaders skip. */
function changeBytes(file: string): void {
  const { mtime, atime } = statSync(file);
  const fd = openSync(file, 'a');
  writeSync(fd, Buffer.alloc(4096));
  closeSync(fd);
  utimesSync(file, atime, mtime);
}

test('changing the agent or the kernel bytes invalidates the template', () => {
  const before = templates().length;
  const initramfs = join(env.work, 'initramfs.cpio');
  copyFileSync(join(REPO, 'build', 'initramfs.cpio'), initramfs);
  identityOf('new-agent', { RIND_INITRAMFS: initramfs });
  assert.equal(templates().length, before + 1, 'another agent path: another template');
  changeBytes(initramfs);
  identityOf('changed-agent', { RIND_INITRAMFS: initramfs });
  assert.equal(templates().length, before + 2, 'other agent bytes at the same path: another template');
  const kernel = join(env.work, 'vmlinux');
  copyFileSync(join(REPO, 'build', 'vmlinux'), kernel);
  identityOf('new-kernel', { RIND_KERNEL: kernel });
  assert.equal(templates().length, before + 3);
  changeBytes(kernel);
  identityOf('changed-kernel', { RIND_KERNEL: kernel });
  assert.equal(templates().length, before + 4, 'other kernel bytes at the same path: another template');
});

test('a corrupt template falls back to a plain boot and says so', () => {
  const [key] = templates();
  const state = join(cache, 'templates', key, 'state');
  const size = statSync(state).size;
  const fd = openSync(state, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, Math.floor(size / 4));
  closeSync(fd);
  // every template of this cache is the same shape except the two above; corrupt them all
  for (const k of templates()) {
    const f = join(cache, 'templates', k, 'state');
    const d = openSync(f, 'r+');
    writeSync(d, Buffer.alloc(64, 0x5a), 0, 64, 0);
    closeSync(d);
  }
  const r = identityOf('after-corruption');
  assert.equal(r.out[0], 'after-corruption');
  assert.match(r.log, /falling back to a plain boot/);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
  rmSync(cache, { recursive: true, force: true });
});
