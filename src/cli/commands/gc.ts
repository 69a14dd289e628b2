import { parseArgs } from 'node:util';
import type { CliCommand } from '../cliCommand';
import { RunStore } from '../../core/runs/RunStore';
import { collectGarbage, GcRefusedError } from '../../core/runs/snapshot/collectGarbage';

const usage = `mlw gc [--dry-run] [--json]

Removes the artifact snapshots under .mlw/blobs/ of the workspace that no run references any more
(after runs were deleted), and says what it freed: "removed N blobs, freed X MB". Snapshots a
running or queued run may still record are kept. Nothing is removed when a run folder has no
readable run.json (gc cannot tell what it uses).

Options:
  --dry-run   only say what would be removed
  --json      print {dryRun, removed: [{stored, sha256, size, freed}], freedBytes, kept, keptBytes, removedTmp}

Exit code: 0, or 1 when gc refused to remove anything.`;

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);

export const gcCommand: CliCommand = {
  name: 'gc',
  summary: 'Remove artifact snapshots no run references, and say what was freed',
  usage,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' } }, allowPositionals: false });
    const store = new RunStore(ctx.workspace, ctx.logger);
    let result;
    try {
      result = await collectGarbage(store, { dryRun: values['dry-run'] === true });
    } catch (e) {
      if (!(e instanceof GcRefusedError)) throw e;
      ctx.err(`mlw: ${e.message}`);
      return 1;
    }
    if (ctx.json) {
      ctx.out(JSON.stringify(result, null, 2));
      return 0;
    }
    const n = result.removed.length;
    const blobs = `${n} blob${n === 1 ? '' : 's'}`;
    ctx.out(
      result.dryRun
        ? `would remove ${blobs}, free ${mb(result.freedBytes)} MB (${result.freedBytes} bytes)`
        : `removed ${blobs}, freed ${mb(result.freedBytes)} MB (${result.freedBytes} bytes)`,
    );
    ctx.err(`mlw: ${result.kept} blob${result.kept === 1 ? '' : 's'} in use (${mb(result.keptBytes)} MB) kept under ${store.blobsDir}`);
    return 0;
  },
};
