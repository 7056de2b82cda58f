// bin/rind (the C client) with its daemon, no VMs: output and exit codes, the caller's cwd, one daemon per
// root under concurrency, a daemon killed between calls, RIND_NO_DAEMON, the engine's fds, exits on its own.
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const RIND = join(REPO, 'bin', 'rind');
const skip = existsSync(RIND) ? false : 'bin/rind is not built (npm run setup)';

const rind = (root: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  spawnSync(RIND, ['--root', root, ...args], { encoding: 'utf8', cwd: opts.cwd, env: opts.env ?? { ...process.env, RIND_NO_DAEMON: undefined }, timeout: 60_000 });

function daemonPids(root: string): number[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((f) => /^\.rindd-[0-9a-f]+\.pid$/.test(f))
    .map((f) => Number(readFileSync(join(root, f), 'utf8')))
    .filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('bin/rind through its daemon', { skip, timeout: 120_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'rind-client-test-'));
  const root = join(work, 'root');
  try {
    await t.test('concurrent first calls start one daemon; output and exit codes come back', async () => {
      const calls = Array.from({ length: 6 }, () => new Promise<number | null>((resolve) => spawn(RIND, ['--root', root, 'list', '-q'], { stdio: 'ignore' }).on('close', resolve)));
      assert.deepEqual(await Promise.all(calls), [0, 0, 0, 0, 0, 0]);
      assert.equal(daemonPids(root).length, 1);
      const r = rind(root, ['list', '--format', 'json']);
      assert.equal(r.status, 0);
      assert.equal(r.stdout, '[]\n');
      const bad = rind(root, ['state', 'nope']);
      assert.equal(bad.status, 1);
      assert.equal(bad.stderr, 'rind: container nope does not exist\n');
      assert.equal(rind(root, ['no-such-verb']).status, 1);
    });

    await t.test('relative paths are the caller\'s', () => {
      mkdirSync(join(work, 'cwd', 'b'), { recursive: true });
      const r = rind('../root', ['spec', '--bundle', 'b'], { cwd: join(work, 'cwd') });
      assert.equal(r.status, 0, r.stderr);
      assert.ok(existsSync(join(work, 'cwd', 'b', 'config.json')));
      assert.equal(daemonPids(root).length, 1, 'the relative --root names the same root');
    });

    await t.test('the daemon holds none of the caller\'s other fds', async () => {
      rmSync(join(work, 'fresh'), { recursive: true, force: true });
      // fd 5 is a pipe we read: EOF only once every holder (the client and anything it started) closed it
      const c = spawn(RIND, ['--root', join(work, 'fresh'), 'list'], { stdio: ['ignore', 'ignore', 'ignore', 'ignore', 'ignore', 'pipe'] });
      const fd5 = c.stdio[5 as number] as NodeJS.ReadableStream;
      const eof = new Promise<boolean>((resolve) => {
        fd5.on('end', () => resolve(true));
        fd5.resume();
        setTimeout(() => resolve(false), 15_000).unref();
      });
      assert.equal(await eof, true);
      assert.equal(daemonPids(join(work, 'fresh')).length, 1);
    });

    await t.test('a daemon killed between calls: the next call starts another and finds everything', async () => {
      const [pid] = daemonPids(root);
      process.kill(pid, 'SIGKILL'); // no waiting: its socket refuses connections at once, its lock is free
      const r = rind(root, ['list', '-q']);
      assert.equal(r.status, 0, r.stderr);
      const [next] = daemonPids(root);
      assert.ok(next && next !== pid);
    });

    await t.test('RIND_NO_DAEMON=1 runs the Node CLI', () => {
      const other = join(work, 'nodaemon');
      const r = rind(other, ['list', '--format', 'json'], { env: { ...process.env, RIND_NO_DAEMON: '1' } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, '[]\n');
      assert.deepEqual(daemonPids(other), []);
    });

    await t.test('the daemon exits on SIGTERM and when its root is removed', async () => {
      const [pid] = daemonPids(root);
      process.kill(pid, 'SIGTERM');
      assert.ok(await gone(pid, 5000));
      assert.ok(!readdirSync(root).some((f) => f.endsWith('.sock')), 'socket removed');
      const [fresh] = daemonPids(join(work, 'fresh'));
      rmSync(join(work, 'fresh'), { recursive: true, force: true });
      assert.ok(await gone(fresh, 6000), 'exits once its socket is gone');
    });
  } finally {
    for (const pid of [...daemonPids(root), ...daemonPids(join(work, 'fresh'))]) process.kill(pid, 'SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
});
