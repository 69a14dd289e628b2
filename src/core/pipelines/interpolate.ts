/**
 * dvc.yaml templating: `${expr}` substitution as DVC documents it. `expr` is a dotted path with optional
 * `[index]` parts (`${models.us.threshold}`, `${item.files[0]}`); a string that is exactly one `${...}` takes the
 * value with its type, otherwise values are rendered into the string. `\${` is a literal `${`. In `cmd`, a
 * dictionary expands to `--key value` arguments (booleans: `--key` when true, nothing when false; lists: `--key a b`).
 */

export type Context = Record<string, unknown>;

export class InterpolationError extends Error {}

const EXPR = /(\\)?\$\{\s*([^}]*?)\s*\}/g;

function pathParts(expr: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const piece of expr.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(piece);
    if (!m) throw new InterpolationError(`Cannot read \${${expr}}: not a name`);
    if (m[1]) parts.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) parts.push(Number(idx[1]));
  }
  if (parts.length === 0) throw new InterpolationError('Empty ${} expression');
  return parts;
}

/** The value `expr` names in `ctx`; throws when it is missing. */
export function lookup(ctx: Context, expr: string): unknown {
  let cur: unknown = ctx;
  for (const part of pathParts(expr)) {
    if (typeof part === 'number' ? Array.isArray(cur) && part < cur.length : isObject(cur) && Object.hasOwn(cur, part)) {
      cur = (cur as Record<string | number, unknown>)[part];
    } else {
      throw new InterpolationError(`Could not find '${expr}'`);
    }
  }
  return cur;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function scalarText(v: unknown, expr: string): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  throw new InterpolationError(`Cannot interpolate '${expr}': it is a ${Array.isArray(v) ? 'list' : 'dictionary'}, not a value`);
}

function dictArgs(d: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(d)) {
    const key = `${prefix}${k}`;
    if (isObject(v)) out.push(...dictArgs(v, `${key}.`));
    else if (v === true) out.push(`--${key}`);
    else if (v === false) continue;
    else if (Array.isArray(v)) out.push(`--${key}`, ...v.map((x) => scalarText(x, key)));
    else out.push(`--${key}`, scalarText(v, key));
  }
  return out;
}

/** Called with each expression resolved, so callers can record which params a stage used. */
export type OnLookup = (expr: string, value: unknown) => void;

/** Interpolates one string. `inCmd` allows dictionaries (expanded to arguments). */
export function interpolateString(s: string, ctx: Context, opts: { inCmd?: boolean; onLookup?: OnLookup } = {}): unknown {
  const whole = /^\$\{\s*([^}]*?)\s*\}$/.exec(s);
  if (whole) {
    const v = lookup(ctx, whole[1]);
    opts.onLookup?.(whole[1], v);
    if (opts.inCmd && isObject(v)) return dictArgs(v).join(' ');
    return v;
  }
  return s.replace(EXPR, (match, escaped: string | undefined, expr: string) => {
    if (escaped) return match.slice(1);
    const v = lookup(ctx, expr);
    opts.onLookup?.(expr, v);
    if (opts.inCmd && isObject(v)) return dictArgs(v).join(' ');
    return scalarText(v, expr);
  });
}

/** Interpolates every string in a YAML value (keys of dictionaries too). */
export function interpolateValue(v: unknown, ctx: Context, opts: { inCmd?: boolean; onLookup?: OnLookup } = {}): unknown {
  if (typeof v === 'string') return interpolateString(v, ctx, opts);
  if (Array.isArray(v)) return v.map((x) => interpolateValue(x, ctx, opts));
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[String(interpolateString(k, ctx, opts))] = interpolateValue(x, ctx, opts);
    return out;
  }
  return v;
}

/** Merges `b` into `a` as DVC merges vars: dictionaries merge, a key set twice to different values is an error. */
export function mergeContext(a: Context, b: Context, where: string): Context {
  const out: Context = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (!(k in out)) out[k] = v;
    else if (isObject(out[k]) && isObject(v)) out[k] = mergeContext(out[k], v, where);
    else if (JSON.stringify(out[k]) !== JSON.stringify(v)) throw new InterpolationError(`Cannot redefine '${k}' in ${where}`);
  }
  return out;
}
