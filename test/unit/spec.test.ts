// Unit tests for config.json validation: good specs pass, broken ones fail with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpecText, validateSpec } from '../../src/oci/spec.js';
import { defaultSpec } from '../../src/oci/default-spec.js';

test('the template from `rind spec` is valid', () => {
  const s = validateSpec(defaultSpec());
  assert.deepEqual(s.process.args, ['sh']);
});

test('invalid JSON names the problem', () => {
  assert.throws(() => parseSpecText('{"ociVersion":', 'x.json'), /x\.json: not valid JSON/);
});

test('missing process.args is refused', () => {
  const s = defaultSpec() as { process: { args?: string[] } };
  delete s.process.args;
  assert.throws(() => validateSpec(s), /invalid at \/process/);
});

test('empty args, relative cwd, NUL in args, bad uid are refused', () => {
  const mk = (f: (p: Record<string, unknown>) => void) => {
    const s = defaultSpec() as { process: Record<string, unknown> };
    f(s.process);
    return s;
  };
  assert.throws(() => validateSpec(mk((p) => (p.args = []))), /process\/args/);
  assert.throws(() => validateSpec(mk((p) => (p.cwd = 'tmp'))), /process\/cwd/);
  assert.throws(() => validateSpec(mk((p) => (p.args = ['a\u0000b']))), /process\/args/);
  assert.throws(() => validateSpec(mk((p) => (p.user = { uid: -1, gid: 0 }))), /process\/user/);
});

test('error messages are a single line', () => {
  try {
    parseSpecText('{"ociVersion":"1.0.2","process":{"args":"sh"}}');
    assert.fail('should throw');
  } catch (e) {
    assert.ok(!(e as Error).message.includes('\n'));
  }
});

test('container ids: at most 200 characters, named clearly', async () => {
  const { validateId } = await import('../../src/oci/state.js');
  assert.equal(validateId('a'.repeat(200)), 'a'.repeat(200));
  assert.throws(() => validateId('a'.repeat(251)), /251 characters, at most 200/);
  assert.throws(() => validateId('a/b'), /invalid container id/);
});
