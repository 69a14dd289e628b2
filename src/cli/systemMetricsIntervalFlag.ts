import { UsageError } from './cliCommand';
import { parseSystemMetricsInterval } from '../core/runs/systemMetrics/parseSystemMetricsInterval';

/** `--system-metrics-interval S` of `mlw run` and `mlw sweep`: undefined (every 5 s) when not given. */
export function systemMetricsIntervalFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = parseSystemMetricsInterval(text);
  if (n === undefined) throw new UsageError(`--system-metrics-interval must be a number of seconds (0 = off), not ${text}`);
  return n;
}
