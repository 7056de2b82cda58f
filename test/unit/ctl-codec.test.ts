// Unit and fuzz tests for the ctl channel codec, which parses untrusted bytes from the guest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { encodeMessage, MessageDecoder, parseReply, ProtocolError, CTL_MAX, sanitizeGuestText } from '../../src/guest/linux/ctl-codec.js';

test('round trip, split at every byte boundary', () => {
  const wire = Buffer.concat([encodeMessage('ok', ['pid=7', 'kernel=6.1.0']), encodeMessage('error', ['msg=bad thing'])]);
  for (let cut = 0; cut <= wire.length; cut++) {
    const d = new MessageDecoder();
    const got = [...d.push(wire.subarray(0, cut)), ...d.push(wire.subarray(cut))];
    assert.equal(got.length, 2);
    assert.deepEqual(parseReply(got[0]).fields.get('pid'), '7');
    assert.deepEqual(parseReply(got[0]).fields.all('kernel'), ['6.1.0']);
    assert.equal(parseReply(got[1]).ok, false);
  }
});

test('oversized, zero-length, unterminated and unknown replies are protocol errors', () => {
  const big = Buffer.alloc(4);
  big.writeUInt32LE(CTL_MAX + 1);
  assert.throws(() => new MessageDecoder().push(big), ProtocolError);
  assert.throws(() => new MessageDecoder().push(Buffer.alloc(4)), ProtocolError);
  const unterminated = Buffer.from([3, 0, 0, 0, 0x6f, 0x6b, 0x21]);
  assert.throws(() => new MessageDecoder().push(unterminated), ProtocolError);
  assert.throws(() => parseReply(['maybe']), ProtocolError);
  assert.throws(() => parseReply(['ok', 'novalue']), ProtocolError);
});

/** xorshift32: a reproducible stream of pseudo-random bytes for one seed. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('fuzz: random and mutated input never throws anything but ProtocolError', (t) => {
  // CTL_FUZZ_SEED=<n> replays a failing run
  const fuzzSeed = Number(process.env.CTL_FUZZ_SEED) || randomBytes(4).readUInt32LE(0);
  t.diagnostic(`ctl-codec fuzz seed ${fuzzSeed} (replay: CTL_FUZZ_SEED=${fuzzSeed})`);
  console.log(`ctl-codec fuzz seed: ${fuzzSeed}`);
  const next = prng(fuzzSeed);
  const seed = encodeMessage('ok', ['pid=1', 'kernel=x']);
  for (let i = 0; i < 20000; i++) {
    let input: Buffer;
    if (i % 2) input = Buffer.from(Array.from({ length: 1 + (i % 64) }, () => next() & 0xff));
    else {
      input = Buffer.from(seed);
      for (let k = 0; k < 1 + (i % 4); k++) input[next() % input.length] = next() & 0xff;
    }
    const d = new MessageDecoder();
    try {
      for (const m of d.push(input)) {
        try {
          parseReply(m);
        } catch (e) {
          assert.ok(e instanceof ProtocolError, String(e));
        }
      }
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `${String(e)} (seed ${fuzzSeed}, iteration ${i})`);
    }
  }
});

test('guest text is made one safe line', () => {
  assert.equal(sanitizeGuestText('a\nb\u001b[31m'), 'a b [31m');
  assert.equal(sanitizeGuestText('x'.repeat(1000)).length, 300);
});
