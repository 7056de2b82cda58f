// The constants the TypeScript host, rind-shim and rind-agent must agree on, checked against proto/*.h.
// The C headers are the source: a drift on either side fails here, not inside a VM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants } from 'node:os';
import { REPO } from '../e2e/harness.js';
import { RIND_CTL_MAX, RIND_EXEC_PORTS, RIND_FWD_SIGNALS, RIND_SHIM_STOP_SIGNAL } from '../../src/proto/limits.js';
import { CTL_MAX } from '../../src/guest/linux/ctl-codec.js';
import { EXEC_PORTS } from '../../src/guest/linux/plan.js';

const header = (name: string) => readFileSync(join(REPO, 'proto', name), 'utf8');

function define(text: string, name: string): string {
  const m = new RegExp(`^#define ${name}\\s+(.+?)\\s*(?:/\\*.*)?$`, 'm').exec(text);
  assert.ok(m, `${name} is defined`);
  return m[1];
}

function cNumber(expr: string): number {
  const m = /^\(?\s*(\d+)u?\s*(?:<<\s*(\d+))?\s*\)?$/.exec(expr);
  assert.ok(m, `a number: ${expr}`);
  return Number(m[1]) * 2 ** Number(m[2] ?? 0);
}

test('ctl message limit and exec port count match proto/limits.h', () => {
  const h = header('limits.h');
  assert.equal(cNumber(define(h, 'RIND_CTL_MAX')), RIND_CTL_MAX);
  assert.equal(CTL_MAX, RIND_CTL_MAX);
  assert.equal(cNumber(define(h, 'RIND_EXEC_PORTS')), RIND_EXEC_PORTS);
  assert.equal(EXEC_PORTS, RIND_EXEC_PORTS);
  assert.equal(cNumber(define(h, 'RIND_SHIM_STOP_SIGNAL')), RIND_SHIM_STOP_SIGNAL);
});

test('forwarded signals match proto/limits.h', () => {
  const list = define(header('limits.h'), 'RIND_FWD_SIGNALS').replace(/[{}\s]/g, '').split(',').filter(Boolean);
  assert.deepEqual([...list].sort(), [...RIND_FWD_SIGNALS].sort());
  for (const s of list) assert.ok(s in constants.signals, `${s} is a signal`);
});

test('frame header: 8 bytes, the frame types docs/protocol.md lists', () => {
  const h = header('frame.h');
  assert.match(h, /_Static_assert\(sizeof\(struct rind_frame\) == 8/);
  const types = Object.fromEntries([...h.matchAll(/^\s*(RIND_F_\w+)\s*=\s*(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  const doc = readFileSync(join(REPO, 'docs', 'protocol.md'), 'utf8');
  for (const [name, value] of Object.entries(types)) {
    const short = name.replace('RIND_F_', '');
    assert.match(doc, new RegExp(`\\| ${value} \\|[^\\n]*\\| ${short} \\|`), `${name}=${value} is documented`);
  }
  assert.ok(Object.keys(types).length >= 8);
});
