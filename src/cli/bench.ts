// `rind bench ...`: the benchmark commands (density: N web services side by side with runc/crun).
// Placeholder until src/bench lands; registers nothing yet.
import type { Command } from 'commander';

export function registerBench(_program: Command): void {}
