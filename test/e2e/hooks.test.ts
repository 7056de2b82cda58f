// End-to-end: OCI hooks run on the host at the points runtime.md defines, with the state on stdin;
// a failing create-time hook fails create and leaves nothing; a failing poststart/poststop only warns.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { newEnv, makeBundle, rind, rindDetached, cleanup, leftovers, waitFor, state } from './harness.js';

const env = newEnv('hooks');
after(() => cleanup(env));
const dir = env.work;
const hook = join(dir, 'hook.sh');
writeFileSync(hook, '#!/bin/sh\n# $1: point; state JSON on stdin; env HOOKVAR must arrive\nstate=$(cat)\necho "$1 $HOOKVAR $state" >> "$LOG"\n[ "$1" != "$FAIL" ] || { echo "failing $1 on purpose" >&2; exit 7; }\n[ "$1" != "$SLOW" ] || sleep 30\n');
chmodSync(hook, 0o755);

function hooks(log: string, extra: Record<string, string> = {}) {
  const h = (point: string, timeout?: number) => ({ path: hook, args: ['hook.sh', point], env: [`LOG=${log}`, 'HOOKVAR=v1', ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)], ...(timeout ? { timeout } : {}) });
  return { prestart: [h('prestart')], createRuntime: [h('createRuntime')], createContainer: [h('createContainer')], startContainer: [h('startContainer')], poststart: [h('poststart', 2)], poststop: [h('poststop')] };
}

function lines(log: string): { point: string; v: string; state: any }[] {
  return readFileSync(log, 'utf8').trim().split('\n').map((l) => {
    const [point, v, ...rest] = l.split(' ');
    return { point, v, state: JSON.parse(rest.join(' ')) };
  });
}

test('every hook runs once, in lifecycle order, with its args, env and the right state', async () => {
  const log = join(dir, 'order.log');
  const b = makeBundle(env, 'h1', ['sleep', '100'], (s) => (s.hooks = hooks(log)));
  env.ids.add('h1');
  assert.equal(rindDetached(env, ['create', '--bundle', b, 'h1'], 'h1').status, 0);
  assert.deepEqual(lines(log).map((l) => l.point), ['prestart', 'createRuntime', 'createContainer']);
  assert.equal(rind(env, ['start', 'h1']).status, 0);
  assert.equal(rind(env, ['kill', 'h1', 'KILL']).status, 0);
  await waitFor(() => state(env, 'h1').status === 'stopped', 30_000);
  assert.equal(rind(env, ['delete', 'h1']).status, 0);
  const all = lines(log);
  assert.deepEqual(all.map((l) => l.point), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.ok(all.every((l) => l.v === 'v1' && l.state.id === 'h1' && l.state.bundle === b), 'env and state reach every hook');
  assert.deepEqual(all.map((l) => l.state.status), ['creating', 'creating', 'creating', 'created', 'running', 'stopped']);
  assert.ok(all[0].state.pid > 0, 'create-time hooks see the waitable pid');
});

test('a failing createRuntime hook fails create with one line and leaves nothing', () => {
  const log = join(dir, 'fail.log');
  const b = makeBundle(env, 'h2', ['true'], (s) => (s.hooks = hooks(log, { FAIL: 'createRuntime' })));
  const r = rind(env, ['create', '--bundle', b, 'h2']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /createRuntime hook 0 \(.*hook\.sh\) failed: exit status 7: failing createRuntime on purpose/);
  assert.ok(!existsSync(join(env.root, 'h2')));
});

test('a failing or timed-out poststart hook only warns; the container runs', async () => {
  const log = join(dir, 'warn.log');
  const logFile = join(dir, 'warn.rind.log');
  const b = makeBundle(env, 'h3', ['sleep', '100'], (s) => (s.hooks = hooks(log, { SLOW: 'poststart' })));
  env.ids.add('h3');
  assert.equal(rindDetached(env, ['create', '--bundle', b, 'h3'], 'h3').status, 0);
  const r = rind(env, ['--log', logFile, 'start', 'h3']);
  assert.equal(r.status, 0, r.stderr.toString());
  assert.match(readFileSync(logFile, 'utf8'), /poststart hook 0 .* timed out after 2 s/);
  assert.equal(state(env, 'h3').status, 'running');
  assert.equal(rind(env, ['delete', '--force', 'h3']).status, 0);
});

test('nothing is left behind', async () => {
  await waitFor(() => leftovers(env).length === 0, 10_000).catch(() => undefined);
  assert.deepEqual(leftovers(env), []);
});
