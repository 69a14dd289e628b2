import { UsageError } from './cliCommand';
import { compileScalarPattern, ScalarPatternError } from '../core/runs/compileScalarPattern';
import type { ScalarCaptureOptions } from '../core/runs/ScalarCapture';

/** `--no-capture-scalars` and `--scalar-pattern RE` of `mlw run` / `mlw sweep`; a bad pattern is a usage error before anything runs. */
export function scalarCaptureFlags(noCapture: boolean | undefined, pattern: string | undefined): ScalarCaptureOptions {
  if (noCapture && pattern !== undefined) throw new UsageError('give --no-capture-scalars or --scalar-pattern, not both');
  if (pattern === undefined) return { capture: !noCapture };
  try {
    compileScalarPattern(pattern);
  } catch (e) {
    if (e instanceof ScalarPatternError) throw new UsageError(`--scalar-pattern: ${e.message}`);
    throw e;
  }
  return { capture: true, pattern };
}
