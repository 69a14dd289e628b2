import * as path from 'node:path';

/**
 * The first folder, starting at `from` and walking up at most `levels` parents (to the file-system root by
 * default), for which `matches` is true. Finds what ships beside the code (templates/, python/, dist/), wherever
 * the code runs from: out/src/... in tests, dist/ in the bundle.
 */
export function findUpwards(from: string, matches: (dir: string) => boolean, levels = Infinity): string | undefined {
  let dir = from;
  for (let i = 0; i <= levels; i++) {
    if (matches(dir)) return dir;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
