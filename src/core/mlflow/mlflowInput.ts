import { invalidParameter } from './mlflowErrors';

/** A request's fields: the JSON body of a POST, or the query of a GET (every value a string). */
export type MlflowInput = Record<string, unknown>;

export function optionalString(input: MlflowInput, field: string): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'string') return v[0];
  if (typeof v !== 'string')
    throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: it must be a string.`);
  return v;
}

export function requiredString(input: MlflowInput, field: string): string {
  const v = optionalString(input, field);
  if (v === undefined || v === '') throw invalidParameter(`Missing value for required parameter '${field}'.`);
  return v;
}

/** The run a request names: `run_id`, or the deprecated `run_uuid` that MLflow's client sends beside it. */
export function runIdOf(input: MlflowInput): string {
  const id = optionalString(input, 'run_id') || optionalString(input, 'run_uuid');
  if (!id) throw invalidParameter("Missing value for required parameter 'run_id'.");
  return id;
}

/** An int64 field: protobuf's JSON may carry it as a number or as a string of digits. */
export function optionalInt64(input: MlflowInput, field: string): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw invalidParameter(`Invalid value ${JSON.stringify(v)} for parameter '${field}' supplied: it must be a 64-bit integer.`);
  }
  return n;
}

/** A double: a JSON number, or "NaN" / "Infinity" / "-Infinity" as protobuf's JSON writes them. */
export function toDouble(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === 'NaN' || t === 'nan') return NaN;
    if (t === 'Infinity' || t === 'inf') return Infinity;
    if (t === '-Infinity' || t === '-inf') return -Infinity;
    if (t !== '' && !Number.isNaN(Number(t))) return Number(t);
  }
  throw invalidParameter(
    `Got invalid value ${JSON.stringify(v)} for ${what}. Please specify value as a valid double (64-bit floating point)`,
  );
}

export function objectArray(input: MlflowInput, field: string): MlflowInput[] {
  const v = input[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    throw invalidParameter(`Invalid value for parameter '${field}' supplied: it must be a list of objects.`);
  }
  return v as MlflowInput[];
}

/** `[{key, value}]` with string values (MLflow's params and tags). */
export function keyValues(input: MlflowInput, field: string): Array<{ key: string; value: string }> {
  return objectArray(input, field).map((o) => {
    const value = o.value === undefined || o.value === null ? '' : o.value;
    if (typeof value !== 'string') throw invalidParameter(`Invalid value ${JSON.stringify(value)} in '${field}': values must be strings.`);
    return { key: o.key as string, value };
  });
}
