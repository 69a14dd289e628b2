/**
 * The dashboard keeps system metrics (`system/…`: CPU, memory, GPUs, recorded by ML Workbench or MLflow) apart
 * from what the script logs: they go to a System section, charted against time, grouped by what they measure.
 */

export const SYSTEM_PREFIX = 'system/';

export const isSystemMetric = (name: string): boolean => name.startsWith(SYSTEM_PREFIX);

export interface SystemGroup {
  /** `Run processes`, `Machine`, `GPU 0`, ..., `Other`. */
  title: string;
  metrics: string[];
}

export interface SplitSystemMetrics {
  /** The script's metrics, in the order given. */
  training: string[];
  /** The system metrics by group: the run's processes, the machine, each GPU by number, then any other. */
  system: SystemGroup[];
}

/** Known metrics in the order they are shown; any other of a group after them, by name. */
const ORDER = [
  'system/process_cpu_percent',
  'system/process_rss_megabytes',
  'system/cpu_utilization_percentage',
  'system/system_memory_usage_megabytes',
  'system/system_memory_usage_percentage',
];
const GPU_ORDER = ['utilization_percentage', 'memory_usage_megabytes', 'memory_usage_percentage'];

function groupOf(name: string): { title: string; rank: number } {
  const rest = name.slice(SYSTEM_PREFIX.length);
  if (rest.startsWith('process_')) return { title: 'Run processes', rank: 0 };
  if (rest.startsWith('cpu_') || rest.startsWith('system_memory_')) return { title: 'Machine', rank: 1 };
  const gpu = /^gpu_(\d+)_/.exec(rest);
  if (gpu) return { title: `GPU ${Number(gpu[1])}`, rank: 2 + Number(gpu[1]) };
  return { title: 'Other', rank: Number.MAX_SAFE_INTEGER };
}

function metricRank(name: string): number {
  const known = ORDER.indexOf(name);
  if (known >= 0) return known;
  const gpu = /^system\/gpu_\d+_(.*)$/.exec(name);
  const g = gpu ? GPU_ORDER.indexOf(gpu[1]) : -1;
  return g >= 0 ? g : ORDER.length + GPU_ORDER.length;
}

/** Splits metric names into the script's and the system's, the latter grouped and ordered. */
export function groupSystemMetrics(names: Iterable<string>): SplitSystemMetrics {
  const training: string[] = [];
  const groups = new Map<string, { rank: number; metrics: string[] }>();
  for (const name of names) {
    if (!isSystemMetric(name)) {
      training.push(name);
      continue;
    }
    const { title, rank } = groupOf(name);
    const g = groups.get(title);
    if (g) g.metrics.push(name);
    else groups.set(title, { rank, metrics: [name] });
  }
  const system = [...groups.entries()]
    .sort((a, b) => a[1].rank - b[1].rank || a[0].localeCompare(b[0]))
    .map(([title, g]) => ({
      title,
      metrics: [...new Set(g.metrics)].sort((a, b) => metricRank(a) - metricRank(b) || a.localeCompare(b)),
    }));
  return { training, system };
}

/** The names with the script's metrics first and the system metrics last (for Compare's columns and its default y). */
export function trainingFirst(names: readonly string[]): string[] {
  return [...names.filter((n) => !isSystemMetric(n)), ...names.filter(isSystemMetric)];
}
