// One request/reply with rind-agent over a VM's ctl port, and the wait for a booting agent.
// The agent is untrusted: replies go through ctl-codec's bounded decoder.
import { join } from 'node:path';
import { CtlClient } from './ctl-client.js';
import type { Fields } from './ctl-codec.js';
import { timeouts } from '../../util/timeouts.js';

/** A VM's guest channel: its state dir, whether its VMM is still there, and what its shim can do to it. */
export interface GuestChannel {
  stateDir: string;
  alive: () => boolean;
  /** lets a VM launched paused run (agentless guests start on `start`) */
  resume: () => Promise<void>;
  /** ends the VM on a signal: the shim records 128+signo (SIGKILL: 137) */
  stopOnSignal: (signo: number) => void;
}

export async function agentRequest(ch: GuestChannel, verb: string, fields: string[], timeoutMs = timeouts.agentReplyMs()): Promise<Fields> {
  const ctl = await CtlClient.open(join(ch.stateDir, 'ctl.sock'), Date.now() + timeouts.agentReplyMs(), ch.alive);
  try {
    return await ctl.request(verb, fields, timeoutMs);
  } finally {
    ctl.close();
  }
}

/** Waits until a booting or restored agent answers; the open connection serves the container's create. */
export async function agentReady(ch: GuestChannel, deadline: number, exited: Promise<unknown>): Promise<{ ctl: CtlClient; pong: Fields }> {
  const ctl = await CtlClient.connect(join(ch.stateDir, 'ctl.sock'), deadline, ch.alive);
  try {
    const died = exited.then(() => Promise.reject(new Error('the VM exited during boot')));
    return { ctl, pong: await Promise.race([ctl.sync(Math.max(1, deadline - Date.now())), died]) };
  } catch (e) {
    ctl.close();
    throw e;
  }
}
