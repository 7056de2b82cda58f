// End-to-end: the accelerator probe's KVM boot path runs real QEMU with our kernel; on a host
// without usable KVM (this one) it must report a failure quickly, so rind falls back to TCG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { bootsUnderKvm } from '../../src/runtime/accel.js';
import { RIND } from './harness.js';

const kvmUsable = existsSync('/dev/kvm') && !existsSync('/sys/module/kvm_pvm');

test('the KVM probe boot: succeeds only where KVM can run our guest', async () => {
  const t0 = Date.now();
  const r = await bootsUnderKvm(8000);
  if (kvmUsable) assert.equal(r, true);
  else {
    assert.equal(typeof r, 'string', 'no KVM here: the probe must fail');
    assert.ok(Date.now() - t0 < 9000);
  }
});

test('the verdict is cached, --version and features name it, TCG warns loudly', () => {
  const cache = mkdtempSync(join(tmpdir(), 'rind-accel-'));
  try {
    const env = { ...process.env, RIND_CACHE: cache };
    const v = spawnSync(RIND, ['--version'], { env, encoding: 'utf8' });
    assert.equal(v.status, 0);
    const verdict = JSON.parse(readFileSync(join(cache, 'accel.json'), 'utf8'));
    assert.match(v.stdout, new RegExp(`accelerator: ${verdict.accel}`));
    if (verdict.accel === 'tcg') assert.match(v.stderr, /TCG is NOT a security boundary/);
    const f = JSON.parse(spawnSync(RIND, ['features'], { env, encoding: 'utf8' }).stdout);
    assert.equal(f.annotations['io.rind.accelerator'], verdict.accel);
    const forced = spawnSync(RIND, ['--accel', 'tcg', '--version'], { env, encoding: 'utf8' });
    assert.match(forced.stdout, /accelerator: tcg \(forced/);
    assert.notEqual(spawnSync(RIND, ['--accel', 'bogus', '--version'], { env, encoding: 'utf8' }).status, 0);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
