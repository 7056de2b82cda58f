// End-to-end: terminal and FIFO conformance with runc on real VMs — an engine's ClearONLCR on the
// console socket's pty reaches the process's pty, the pty's group is the devpts mount's (tty), mkfifo on 9p.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, state, waitFor, cleanup, leftovers, RECVTTY } from './harness.js';

const env = newEnv('tty-fifo');
after(() => cleanup(env));

/** A console-socket receiver (build/testtools/recvtty); clearOnlcr: it clears ONLCR on the master
 * at once, as runc's recvtty and `runc run` do. Resolves with everything the terminal printed. */
async function receiver(name: string, clearOnlcr: boolean): Promise<{ socket: string; output: Promise<string> }> {
  const socket = join(env.work, `${name}.console`);
  const c = spawn(RECVTTY, [socket], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RECVTTY_CLEAR_ONLCR: clearOnlcr ? '1' : '0' },
  });
  let out = '';
  let ready: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  c.stdout.on('data', (d) => {
    out += d;
    if (out.startsWith('listening\n')) ready();
  });
  const output = new Promise<string>((resolve) => c.on('close', () => resolve(out.replace(/^listening\n/, ''))));
  await listening;
  return { socket, output };
}

/** Runs a terminal container detached on a receiver; the terminal's whole output. */
async function onTerminal(id: string, args: string[], clearOnlcr: boolean, patch?: (s: any) => void): Promise<string> {
  const b = makeBundle(env, id, args, (s) => {
    s.process.terminal = true;
    patch?.(s);
  });
  const { socket, output } = await receiver(id, clearOnlcr);
  env.ids.add(id);
  const r = rind(env, ['run', '-d', '--console-socket', socket, '--bundle', b, id]);
  assert.equal(r.status, 0, r.stderr.toString());
  const out = await output;
  await waitFor(() => state(env, id).status === 'stopped', 30_000);
  assert.equal(rind(env, ['delete', id]).status, 0);
  env.ids.delete(id);
  return out;
}

test('pty line endings are the engine pty\'s: ClearONLCR gives "\\n", a pty left as made "\\r\\n" (as with runc)', async () => {
  const printf = ['sh', '-c', "printf 'a\\nb\\n'"];
  assert.equal(await onTerminal('onlcr-off', printf, true), 'a\nb\n');
  assert.equal(await onTerminal('onlcr-on', printf, false), 'a\r\nb\r\n');
});

test('the pty is owned by the process uid and the devpts group (tty, gid=5), mode 0620', async () => {
  const out = await onTerminal('ptygrp', ['sh', '-c', 'busybox stat -L -c %u:%g:%a /proc/self/fd/0; id -g'], true, (s) => {
    s.process.user = { uid: 1000, gid: 1000 };
  });
  assert.deepEqual(out.trim().split(/\r?\n/), ['1000:5:620', '1000']);
});

test('mkfifo in the rootfs and in a bind mount: a FIFO the container can use, a FIFO on the host', async (t) => {
  const data = join(env.work, 'fifo-data');
  mkdirSync(data, { recursive: true });
  const script = [
    'for f in /tmp/f /data/f; do',
    '  busybox mkfifo $f || { echo "mkfifo $f failed"; continue; }',
    '  (cat $f > $f.got) & echo through-$f > $f; wait; cat $f.got',
    'done',
  ].join('\n');
  const b = makeBundle(env, 'fifo', ['sh', '-c', script], (s) => {
    s.mounts.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
  });
  env.ids.add('fifo');
  const r = rindDetached(env, ['run', '-d', '--bundle', b, 'fifo'], 'fifo'); // detached: its vmm.log stays
  assert.equal(r.status, 0, r.stderr);
  await waitFor(() => state(env, 'fifo').status === 'stopped', 30_000);
  const out = readFileSync(join(env.work, 'fifo.stdout'), 'utf8');
  const vmmLog = join(env.root, 'fifo', 'vmm.log');
  const qemuRefused = existsSync(vmmLog) && readFileSync(vmmLog, 'utf8').includes('attempt to open special file');
  if (/mkfifo .* failed/.test(out) && qemuRefused) {
    // QEMU's CVE-2023-2861 fix refuses its own O_PATH open of the new node (QEMU issue 2337, fixed in 9.2)
    t.skip('this QEMU 9p server refuses mknod of FIFOs (QEMU issue 2337); docs/design.md');
  } else {
    assert.deepEqual(out.trim().split('\n'), ['through-/tmp/f', 'through-/data/f']);
    assert.ok(lstatSync(join(b, 'rootfs', 'tmp', 'f')).isFIFO());
    assert.ok(lstatSync(join(data, 'f')).isFIFO());
  }
  assert.equal(rind(env, ['delete', 'fifo']).status, 0);
  env.ids.delete('fifo');
  assert.deepEqual(leftovers(env), []);
});
