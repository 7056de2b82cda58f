// Loads a bundle's config.json and validates it against the schema and runc's rules (validate.ts), failing with one line.
// Everything downstream may rely on the shape (and on process/root being present).
import { readFileSync, statSync } from 'node:fs';
import { join, resolve, isAbsolute } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { SpecSchema, type Spec, type ProcessSpec } from './spec-schema.js';
import { RindError } from '../util/errors.js';
import { checkRootfs, checkSpec } from './validate.js';

let checker: ReturnType<typeof TypeCompiler.Compile<typeof SpecSchema>> | undefined;

/** A spec that has everything `create` needs: a process and a root. */
export type RunnableSpec = Spec & { process: ProcessSpec; root: { path: string; readonly?: boolean } };

export interface Bundle {
  dir: string;
  spec: RunnableSpec;
  rootfs: string;
}

/** Validates parsed JSON; returns the spec or throws a one-line RindError naming the field. */
export function validateSpec(value: unknown, where = 'config.json'): RunnableSpec {
  checker ??= TypeCompiler.Compile(SpecSchema);
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    const path = first?.path || '/';
    throw new RindError(`${where}: invalid at ${path}: ${first?.message ?? 'does not match the OCI runtime spec'}`);
  }
  if (!value.process) throw new RindError(`${where}: process is missing (process.args is required to create a container)`);
  if (!value.root) throw new RindError(`${where}: root is missing (root.path is required)`);
  try {
    checkSpec(value);
  } catch (e) {
    throw e instanceof RindError ? new RindError(`${where}: ${e.message}`) : e;
  }
  return value as RunnableSpec;
}

export function parseSpecText(text: string, where = 'config.json'): RunnableSpec {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RindError(`${where}: not valid JSON: ${(e as Error).message}`);
  }
  return validateSpec(value, where);
}

export function loadBundle(bundleDir: string): Bundle {
  const dir = resolve(bundleDir);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new RindError(`bundle ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new RindError(`bundle ${dir} is not a directory`);
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new RindError(`bundle ${dir}: config.json not found`);
  }
  const spec = parseSpecText(text, file);
  const rootfs = isAbsolute(spec.root.path) ? spec.root.path : join(dir, spec.root.path);
  try {
    if (!statSync(rootfs).isDirectory()) throw new Error();
  } catch {
    throw new RindError(`bundle ${dir}: root.path ${rootfs} is not a directory`);
  }
  checkRootfs(spec, dir);
  return { dir, spec, rootfs };
}
