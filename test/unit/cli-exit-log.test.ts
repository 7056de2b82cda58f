// Unit tests of the CLI's contract with engines (src/cli/main.ts, in-process, no VM): rind's own errors exit as runc's (1; exec: 255),
// --debug writes a debug line per verb to --log in --log-format json or text, nothing without --debug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

test('rind\'s own failures exit 1 as runc\'s, exec\'s 255; success 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-cli-exit-'));
  try {
    assert.equal(await main(['--root', dir, 'list', '-q']), 0);
    assert.equal(await main(['--root', dir, 'state', 'nope']), 1, 'unknown id');
    assert.equal(await main(['--root', dir, 'state', 'bad/id']), 1, 'invalid id');
    assert.equal(await main(['--root', dir, 'kill', 'nope', 'NOSIG']), 1, 'bad signal');
    assert.equal(await main(['--root', dir, 'no-such-verb']), 1, 'usage error');
    assert.equal(await main(['--root', dir, 'ps', 'nope']), 1, 'ps of an unknown id');
    assert.equal(await main(['--root', dir, 'ps', '--format', 'yaml', 'nope']), 1);
    assert.equal(await main(['--root', dir, 'create', '--bundle', join(dir, 'no-bundle'), 'c1']), 1, 'bad bundle');
    assert.equal(await main(['--root', dir, 'exec', 'nope', 'true']), 255, 'exec\'s own failure: 255, as runc (its other codes are the process\'s)');
    assert.equal(await main(['--root', dir, 'delete', '--force', 'nope']), 0, 'delete --force of nothing is fine');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--debug --log FILE --log-format json: one JSON line per step, runc\'s keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rind-cli-log-'));
  const log = join(dir, 'log.json');
  try {
    assert.equal(await main(['--root', dir, '--debug', '--log', log, '--log-format', 'json', 'list', '-q']), 0);
    assert.equal(await main(['--root', dir, '--debug', '--log', log, '--log-format', 'json', 'delete', 'nope']), 1);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const l of lines) {
      assert.deepEqual(Object.keys(l).slice(0, 3), ['level', 'msg', 'time']);
      assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    }
    const msgs = lines.map((l) => `${l.level} ${l.msg}`);
    assert.ok(msgs.includes('debug list: called'), msgs.join('; '));
    assert.ok(msgs.includes('debug list: done'), msgs.join('; '));
    assert.ok(msgs.includes('debug delete: called'));
    assert.ok(msgs.includes('debug delete: no such container'));
    assert.ok(msgs.includes('error container nope does not exist'), 'errors are logged as before');
    assert.deepEqual(lines.find((l) => l.msg === 'delete: called').args, ['nope']);

    const text = join(dir, 'log.txt');
    assert.equal(await main(['--root', dir, '--debug', '--log', text, 'state', 'nope']), 1);
    const t = readFileSync(text, 'utf8').trim().split('\n');
    assert.match(t[0], /^time="[^"]+" level=debug msg="state: called" args=\["nope"\]/);
    assert.ok(t.some((l) => /level=error msg="container nope does not exist"/.test(l)));

    const quiet = join(dir, 'quiet.json');
    assert.equal(await main(['--root', dir, '--log', quiet, '--log-format', 'json', 'list', '-q']), 0);
    assert.equal(existsSync(quiet), false, 'without --debug: no debug lines');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
