// Recognises a unikernel image in a bundle: urunc's annotations, runh's Hermit layout, or rind's own
// `io.rind.guest=unikernel` (any PVH ELF). Pure apart from the injected file checks; anything else is Linux.
import { RindError } from '../../util/errors.js';

export type UnikernelType = 'hermit' | 'unikraft' | 'pvh';

export interface UnikernelImage {
  type: UnikernelType;
  /** where the image style came from, for messages and `state` annotations */
  style: 'urunc' | 'runh' | 'rind';
  /** paths inside the rootfs */
  kernel: string;
  initrd?: string;
  /** the application's arguments (Hermit, Unikraft) or the whole kernel command line (PVH) */
  args: string[];
}

const URUNC = 'com.urunc.unikernel.';
const URUNC_TYPES: Record<string, UnikernelType> = { hermit: 'hermit', unikraft: 'unikraft', linux: 'pvh', pvh: 'pvh' };
export const RIND_GUEST = 'io.rind.guest';

/** Splits a urunc command line: whitespace-separated words, double quotes group. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2]);
  return words;
}

function fromUrunc(a: Record<string, string>, args: string[]): UnikernelImage {
  const kind = a[`${URUNC}unikernelType`];
  if (!kind) throw new RindError(`annotations ${URUNC}* without ${URUNC}unikernelType: not a complete urunc image`);
  const type = URUNC_TYPES[kind];
  if (!type) throw new RindError(`${URUNC}unikernelType ${JSON.stringify(kind)} is not supported: rind runs ${Object.keys(URUNC_TYPES).join(', ')}`);
  const hv = a[`${URUNC}hypervisor`];
  if (hv !== undefined && hv !== 'qemu') throw new RindError(`${URUNC}hypervisor ${JSON.stringify(hv)} is not supported: rind runs unikernels with qemu`);
  const kernel = a[`${URUNC}binary`];
  if (!kernel) throw new RindError(`${URUNC}binary is missing: it names the unikernel inside the rootfs`);
  const cmdline = a[`${URUNC}cmdline`];
  return { type, style: 'urunc', kernel, initrd: a[`${URUNC}initrd`] || undefined, args: cmdline !== undefined ? splitWords(cmdline) : args.slice(1) };
}

/**
 * The unikernel image of a spec, or undefined for a Linux-guest container.
 * `isFile` answers for a path inside the rootfs.
 */
export function detectUnikernel(annotations: Record<string, string>, args: string[], isFile: (path: string) => boolean): UnikernelImage | undefined {
  const guest = annotations[RIND_GUEST];
  const urunc = Object.keys(annotations).some((k) => k.startsWith(URUNC));
  if (guest !== undefined && guest !== 'unikernel' && guest !== 'linux') throw new RindError(`${RIND_GUEST} ${JSON.stringify(guest)} is not supported: use unikernel or linux`);
  if (guest === 'linux') {
    if (urunc) throw new RindError(`${RIND_GUEST}=linux contradicts the ${URUNC}* annotations`);
    return undefined;
  }
  if (urunc) {
    if (guest === 'unikernel') throw new RindError(`${RIND_GUEST}=unikernel and ${URUNC}* annotations: use one image style`);
    return fromUrunc(annotations, args);
  }
  if (guest === 'unikernel') {
    if (!args[0]) throw new RindError('io.rind.guest=unikernel: process.args[0] must name the kernel inside the rootfs');
    return { type: 'pvh', style: 'rind', kernel: args[0], args: args.slice(1) };
  }
  if (args[0] && isFile('hermit/hermit-loader') && isFile(args[0])) return { type: 'hermit', style: 'runh', kernel: 'hermit/hermit-loader', initrd: args[0], args: args.slice(1) };
  return undefined;
}
