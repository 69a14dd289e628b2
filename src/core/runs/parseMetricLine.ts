/**
 * Metrics printed by scripts that do not import the helper. A line of stdout of the form
 *
 *     mlw: loss=0.25 acc=0.91 step=3
 *
 * (prefix `mlw:` at the start of the line, then whitespace-separated `name=number` pairs, with an
 * optional `step=N` among them) logs one point per pair at that step. Names start with a letter or
 * `_` and may contain letters, digits and `_ . - /`. Numbers are decimal or exponent notation, or
 * nan / inf / -inf (any case). A line with any malformed pair is ignored as a whole, so ordinary
 * output that happens to start with `mlw:` does not produce stray points.
 */
export interface ParsedMetricLine {
  values: Array<{ k: string; v: number }>;
  step?: number;
}

const PREFIX = /^\s*mlw:\s+/;
const PAIR = /^([A-Za-z_][\w.\-/]*)=(\S+)$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A number as printed by Python or JavaScript: decimal or exponent notation, or nan / inf / -inf (any case). */
export function parseMetricNumber(text: string): number | undefined {
  if (NUMBER.test(text)) return Number(text);
  const t = text.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === 'inf' || t === '+inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

export function parseMetricLine(line: string): ParsedMetricLine | undefined {
  const m = PREFIX.exec(line);
  if (!m) return undefined;
  const pairs = line.slice(m[0].length).trim().split(/\s+/);
  const out: ParsedMetricLine = { values: [] };
  for (const pair of pairs) {
    const p = PAIR.exec(pair);
    if (!p) return undefined;
    const v = parseMetricNumber(p[2]);
    if (v === undefined) return undefined;
    if (p[1] === 'step') {
      if (!Number.isInteger(v) || v < 0) return undefined;
      out.step = v;
    } else out.values.push({ k: p[1], v });
  }
  return out.values.length ? out : undefined;
}
