import { loadOrt } from './loadOrt';

/** The version of the onnxruntime-node binding in use, e.g. "1.30.0". Loads the native runtime. */
export function ortVersion(): string {
  const versions = loadOrt().env.versions;
  return versions?.node ?? versions?.common ?? 'unknown';
}
