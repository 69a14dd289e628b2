import type { MetricSeries } from '../readMetrics';
import { queryRows, readSqliteSnapshot } from './readSqliteSnapshot';

/**
 * Every metric series of run `runId` in the MLflow SQLite store `dbFile` (table
 * metrics(key, value, timestamp, run_uuid, step, is_nan)), each in step then timestamp order; a
 * NaN point (is_nan) is NaN. Undefined when the store has no such run.
 */
export async function readMlflowSqliteMetrics(dbFile: string, runId: string): Promise<Map<string, MetricSeries> | undefined> {
  return readSqliteSnapshot(dbFile, (db) => {
    if (!queryRows(db, 'SELECT 1 FROM runs WHERE run_uuid = ?', [runId]).length) return undefined;
    const points = new Map<string, { steps: number[]; values: number[]; times: number[] }>();
    const st = db.prepare('SELECT key, value, timestamp, step, is_nan FROM metrics WHERE run_uuid = ? ORDER BY key, step, timestamp');
    try {
      st.bind([runId]);
      let name = '';
      let p: { steps: number[]; values: number[]; times: number[] } | undefined;
      while (st.step()) {
        const [key, value, timestamp, step, isNan] = st.get();
        const k = String(key);
        if (!p || k !== name) {
          name = k;
          p = points.get(k);
          if (!p) points.set(k, (p = { steps: [], values: [], times: [] }));
        }
        p.steps.push(typeof step === 'number' ? step : p.steps.length);
        p.values.push(isNan === 1 || typeof value !== 'number' ? NaN : value);
        p.times.push(typeof timestamp === 'number' ? timestamp : NaN);
      }
    } finally {
      st.free();
    }
    const series = new Map<string, MetricSeries>();
    for (const [name, p] of points)
      series.set(name, {
        name,
        steps: Float64Array.from(p.steps),
        values: Float64Array.from(p.values),
        timestamps: Float64Array.from(p.times),
      });
    return series;
  });
}
