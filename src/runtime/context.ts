// What every runtime operation needs: the state store, the logger and the accelerator choice.
// Built once per CLI call from the global flags.
import type { StateStore } from '../oci/state.js';
import type { Logger } from '../util/log.js';
import type { AccelChoice } from './accel.js';

export interface RuntimeContext {
  store: StateStore;
  log: Logger;
  accel: AccelChoice;
}
