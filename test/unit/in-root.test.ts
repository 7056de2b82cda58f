// Unit tests for resolving paths inside a rootfs: symlinks and .. never leave the root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveInRoot } from '../../src/util/in-root.js';

test('symlinks and .. resolve inside the root, never above it', () => {
  const root = mkdtempSync(join(tmpdir(), 'rind-inroot-'));
  try {
    mkdirSync(join(root, 'k'));
    writeFileSync(join(root, 'k', 'kernel'), 'x');
    symlinkSync('/etc/passwd', join(root, 'abs'));
    symlinkSync('../../../../etc', join(root, 'up'));
    symlinkSync('k/kernel', join(root, 'rel'));
    symlinkSync('loop', join(root, 'loop'));
    assert.equal(resolveInRoot(root, '/k/kernel'), join(root, 'k', 'kernel'));
    assert.equal(resolveInRoot(root, 'rel'), join(root, 'k', 'kernel'));
    assert.equal(resolveInRoot(root, '/abs'), join(root, 'etc', 'passwd'), 'an absolute link restarts at the root');
    assert.equal(resolveInRoot(root, '/up/shadow'), join(root, 'etc', 'shadow'), '.. stops at the root');
    assert.equal(resolveInRoot(root, '/../../k/./kernel'), join(root, 'k', 'kernel'));
    assert.throws(() => resolveInRoot(root, '/loop'), /too many symbolic links/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
