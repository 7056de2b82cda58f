// Unit tests for the benchmark's bash launcher: its reply parsing, sequencing, exit codes and time stamps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Launcher, parseLauncherLine, parseTimesLine } from '../launcher.js';

test('reply lines parse to epoch milliseconds; malformed ones are ignored', () => {
  const p = parseLauncherLine('svc-1 0 0 1700000000.000100 1700000000.050200 1700000000.080300\n')!;
  assert.equal(p.key, 'svc-1');
  assert.equal(p.result.firstCode, 0);
  assert.equal(p.result.thenCode, 0);
  assert.ok(Math.abs(p.result.t0 - 1700000000000.1) < 1e-3);
  assert.ok(Math.abs(p.result.t2 - p.result.t0 - 80.2) < 1e-3);
  assert.equal(parseLauncherLine('svc-2 1 -1 1.5 2.5 2.5')!.result.thenCode, null);
  assert.equal(parseLauncherLine('svc-3 0 0 1,5 2,5 3,5')!.result.t1, 2500); // a locale with decimal commas
  assert.equal(parseLauncherLine('garbage'), undefined);
  assert.equal(parseLauncherLine('k 0 0 x 1 2'), undefined);
});

test('runs the second command only after the first succeeded, output to the log, codes and times back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-launcher-'));
  const l = new Launcher();
  try {
    const log = join(dir, 'log');
    const [ok, bad] = await Promise.all([
      l.run('a', log, ['sh', '-c', 'echo first'], ['sh', '-c', 'echo second; exit 3'], 10_000, () => {}),
      l.run('b', log, ['false'], ['sh', '-c', 'echo never'], 10_000, () => {}),
    ]);
    assert.equal(ok.firstCode, 0);
    assert.equal(ok.thenCode, 3);
    assert.ok(ok.t0 <= ok.t1 && ok.t1 <= ok.t2);
    assert.ok(Math.abs(ok.t0 - Date.now()) < 10_000, 'epoch time stamps');
    assert.equal(bad.firstCode, 1);
    assert.equal(bad.thenCode, null);
    assert.equal(readFileSync(log, 'utf8').split('\n').sort().join(' ').trim(), 'first second');
    assert.throws(() => l.run('c\td', log, ['true'], undefined, 1000, () => {}), /not allowed/);
    await l.run('cpu', log, ['sh', '-c', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done'], undefined, 10_000, () => {});
    await l.close();
    assert.ok(l.childrenCpuSeconds !== null && l.childrenCpuSeconds > 0, `children CPU ${l.childrenCpuSeconds}`);
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a hung command: onTimeout is called and the request still resolves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-launcher-'));
  const pidFile = join(dir, 'pid');
  const l = new Launcher();
  let killed = false;
  try {
    const r = await l.run('slow', '/dev/null', ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], undefined, 300, () => {
      killed = true;
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    });
    assert.ok(killed);
    assert.equal(r.timedOut, true);
    assert.notEqual(r.firstCode, 0);
  } finally {
    await l.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bash times lines', () => {
  assert.equal(parseTimesLine('0m1.250s 0m0.034s'), 1.284);
  assert.equal(parseTimesLine('1m0,500s 0m0,500s'), 61);
  assert.equal(parseTimesLine('svc 0 0 1 2 3'), undefined);
});
