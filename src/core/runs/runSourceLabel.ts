import type { RunSource } from './runTypes';

const LABELS: Record<string, string> = {
  mlw: 'ML Workbench',
  'mlflow-file': 'MLflow (file store)',
  'mlflow-sqlite': 'MLflow (SQLite)',
  'mlflow-server': 'MLflow (server)',
  tensorboard: 'TensorBoard',
};

/** Where a run comes from, in words: "ML Workbench", "MLflow (file store)", "MLflow (SQLite)", ... */
export function runSourceLabel(source: RunSource): string {
  return LABELS[source] ?? source;
}
