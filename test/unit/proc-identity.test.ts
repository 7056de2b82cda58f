// Unit tests of pid-reuse safety (src/host/proc.ts): a stored pid is signalled only while it names the
// process recorded (start time), never without a recorded start time; real processes, no mocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { isSameProcess, processStartTime, signalRecorded, waitGone } from '../../src/host/proc.js';

test('signalRecorded: the recorded process only, never a pid without its start time', async () => {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise((r) => sleeper.once('exit', r));
  try {
    const pid = sleeper.pid!;
    const st = processStartTime(pid)!;
    assert.ok(st > 0);
    assert.equal(isSameProcess(pid, st), true);
    assert.equal(isSameProcess(pid, undefined), false, 'no recorded start time: not taken for the process');
    assert.equal(isSameProcess(pid, st + 1), false, 'another start time: another process that got the pid');
    assert.equal(signalRecorded(pid, undefined, 'SIGKILL'), false);
    assert.equal(signalRecorded(pid, st - 1, 'SIGKILL'), false);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(isSameProcess(pid, st), true, 'the sleeper survived both');
    assert.equal(signalRecorded(pid, st, 'SIGKILL'), true);
    await exited;
    assert.equal(await waitGone(pid, st, 2000), true);
    assert.equal(signalRecorded(pid, st, 'SIGKILL'), false, 'gone: nothing to signal');
  } finally {
    sleeper.kill('SIGKILL');
  }
});
