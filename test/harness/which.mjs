// Finding system tools for the test harnesses, including those in sbin folders a user's PATH may lack.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** System folders searched after PATH: dockerd, ip and docker-proxy live in sbin, which a PATH may lack. */
export const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** An executable on PATH or in the sbin folders (dockerd, ip and busybox live there). */
export function which(name) {
  for (const dir of `${process.env.PATH ?? ''}:${SBIN_PATH}`.split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}
