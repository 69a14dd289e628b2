/** The help lines of the flags mlw run and mlw sweep share for what a launched run records. */
export const LAUNCH_FLAGS_USAGE = `  --log-to URL         also log the run to this MLflow tracking server while it runs (params, tags, metrics
                       every 2 s, then artifacts and status; token from MLFLOW_TRACKING_TOKEN); the local
                       run is kept in full, and a dropped link is retried
  --no-capture-scalars do not record printed name=value / name: value pairs as metrics ("mlw:" lines still count)
  --scalar-pattern RE  a regular expression with named groups name, value (and optionally step) for printed
                       metrics in another format, used instead of the built-in name=value / name: value rules
  --snapshot-max-bytes N
                       artifacts larger than N bytes are recorded by sha256 only, not snapshotted into
                       .mlw/blobs/ (default 2147483648 = 2 GiB; 0 = no limit)
  --system-metrics-interval S
                       seconds between samples of the run's CPU and memory (its whole process tree), the
                       machine's, and each GPU's when nvidia-smi is on PATH, as system/* metrics (default 5; 0 = off)`;
