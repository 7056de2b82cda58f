// Framing of the ctl channel (docs/protocol.md): u32 length + NUL-terminated strings.
// The decoder takes untrusted guest bytes and enforces every bound; pure, fuzzed in tests.

import { RIND_CTL_MAX } from '../../proto/limits.js';

export const CTL_MAX = RIND_CTL_MAX;

export function encodeMessage(verb: string, fields: readonly string[] = []): Buffer {
  const parts = [verb, ...fields];
  for (const p of parts) if (p.includes('\0')) throw new Error('ctl field contains NUL');
  const body = Buffer.from(parts.map((p) => `${p}\0`).join(''), 'utf8');
  if (body.length > CTL_MAX) throw new Error(`ctl message too large (${body.length} bytes)`);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  return Buffer.concat([head, body]);
}

export class ProtocolError extends Error {}

/** Incremental decoder: push bytes, get complete messages as string arrays. */
export class MessageDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): string[][] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: string[][] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (len === 0 || len > CTL_MAX) throw new ProtocolError(`bad ctl message length ${len}`);
      if (this.buf.length < 4 + len) break;
      const body = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      out.push(splitBody(body));
    }
    return out;
  }
}

function splitBody(body: Buffer): string[] {
  if (body[body.length - 1] !== 0) throw new ProtocolError('ctl message not NUL-terminated');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(body.subarray(0, body.length - 1));
  return text.split('\0');
}

/** Reply fields: keys may repeat (arrays), in order. */
export class Fields {
  constructor(readonly pairs: [string, string][]) {}
  get(key: string): string | undefined {
    for (let i = this.pairs.length - 1; i >= 0; i--) if (this.pairs[i][0] === key) return this.pairs[i][1];
    return undefined;
  }
  all(key: string): string[] {
    return this.pairs.filter((p) => p[0] === key).map((p) => p[1]);
  }
}

export interface Reply {
  ok: boolean;
  fields: Fields;
}

/** Interprets a decoded message as a reply: `ok`/`error` then key=value strings. */
export function parseReply(parts: string[]): Reply {
  const verb = parts[0];
  if (verb !== 'ok' && verb !== 'error') throw new ProtocolError(`unexpected ctl reply ${JSON.stringify(verb?.slice(0, 32))}`);
  const pairs: [string, string][] = [];
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ProtocolError('malformed ctl reply field');
    pairs.push([p.slice(0, eq), p.slice(eq + 1)]);
  }
  return { ok: verb === 'ok', fields: new Fields(pairs) };
}

/** Makes guest-provided text safe to show in a one-line error. */
export function sanitizeGuestText(text: string, max = 300): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, max);
}
