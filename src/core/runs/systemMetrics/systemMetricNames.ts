/**
 * Names of the system metrics a launched run records. The `system/` ones MLflow's system-metrics
 * monitor also writes keep its names and units (megabytes = 10^6 bytes), so runs from both tools
 * compare; `system/process_*` are ML Workbench's own: the run's whole process tree.
 */
export const SYSTEM_METRIC_PREFIX = 'system/';

export const SystemMetric = {
  /** The machine's CPU use, all cores together, 0-100 (MLflow). */
  cpuUtilization: 'system/cpu_utilization_percentage',
  /** Memory in use on the machine (total minus available), in MB (MLflow). */
  memoryUsed: 'system/system_memory_usage_megabytes',
  /** The same as a share of the machine's memory (MLflow). */
  memoryPercent: 'system/system_memory_usage_percentage',
  /** CPU time of the run's process tree per wall-clock time, as a share of one core (like top: 200 = two cores busy). */
  processCpu: 'system/process_cpu_percent',
  /** Resident memory of the run's process tree (sum over the processes), in MB. */
  processRss: 'system/process_rss_megabytes',
} as const;

/** Per-GPU metrics (MLflow's names), `index` as nvidia-smi numbers the GPUs. */
export const gpuMetric = {
  utilization: (index: number): string => `system/gpu_${index}_utilization_percentage`,
  memoryUsed: (index: number): string => `system/gpu_${index}_memory_usage_megabytes`,
  memoryPercent: (index: number): string => `system/gpu_${index}_memory_usage_percentage`,
};

export const isSystemMetric = (name: string): boolean => name.startsWith(SYSTEM_METRIC_PREFIX);

/** Default sampling interval of launched runs, in seconds (mlWorkbench.runs.systemMetricsInterval). */
export const DEFAULT_SYSTEM_METRICS_INTERVAL_S = 5;
