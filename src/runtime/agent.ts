// One request/reply with the guest agent of a live container over its ctl channel.
// Shared by the lifecycle (start, kill) and by exec/ps/events.
import { CtlClient } from '../vm/ctl-client.js';
import type { Fields } from '../vm/ctl-codec.js';
import type { ContainerRecord } from '../oci/state.js';
import { isAlive } from '../host/proc.js';
import type { RuntimeContext } from './context.js';

/**
 * How long a live guest may take to answer. Under TCG on a loaded host (hundreds of VMs on
 * two cores) the agent can need many seconds; a dead VM is noticed at once via the shim.
 */
export const AGENT_REPLY_MS = Number(process.env.RIND_AGENT_TIMEOUT_MS) || 30_000;

export async function agentRequest(ctx: RuntimeContext, rec: ContainerRecord, verb: string, fields: string[], timeoutMs = AGENT_REPLY_MS): Promise<Fields> {
  const ctl = await CtlClient.open(ctx.store.path(rec.id, 'ctl.sock'), Date.now() + AGENT_REPLY_MS, () => isAlive(rec.shimPid, rec.shimStartTime));
  try {
    return await ctl.request(verb, fields, timeoutMs);
  } finally {
    ctl.close();
  }
}
