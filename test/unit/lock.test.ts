// Unit tests for the per-container lock: a dead holder's lock is taken over at once, a live one is waited for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from '../../src/host/lock.js';
import { processStartTime } from '../../src/host/proc.js';

test('a lock left by a dead process is taken over at once; a live holder makes waiters wait, then fail clearly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-lock-'));
  try {
    const dead = spawnSync('true').pid!;
    writeFileSync(join(dir, 'a'), `${dead} 1`);
    const t0 = Date.now();
    assert.equal(await withFileLock(join(dir, 'a'), 'container a', 5000, async () => 'ran'), 'ran');
    assert.ok(Date.now() - t0 < 1000, 'no stall behind a dead holder');
    assert.ok(!existsSync(join(dir, 'a')), 'released');
    const sleeper = spawn('sleep', ['30']);
    await new Promise((r) => setTimeout(r, 50));
    writeFileSync(join(dir, 'b'), `${sleeper.pid} ${processStartTime(sleeper.pid!)}`);
    await assert.rejects(withFileLock(join(dir, 'b'), 'container b', 300, async () => 'ran'), /container b is locked by another rind process \(pid \d+\) for more than 0 s/);
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    assert.equal(await withFileLock(join(dir, 'b'), 'container b', 2000, async () => 'after'), 'after');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two concurrent holders never overlap', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-lock-'));
  try {
    let inside = 0;
    let max = 0;
    const job = () => withFileLock(join(dir, 'c'), 'c', 5000, async () => {
      inside++;
      max = Math.max(max, inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    });
    await Promise.all([job(), job(), job(), job()]);
    assert.equal(max, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
