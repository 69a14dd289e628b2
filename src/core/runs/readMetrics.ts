import * as path from 'node:path';
import { promises as fsp } from 'node:fs';
import { METRICS_FILE } from './runTypes';

/** One metric's points, in file order. Steps, values and timestamps (epoch ms) share an index. */
export interface MetricSeries {
  name: string;
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
}

export interface MetricsReadResult {
  series: Map<string, MetricSeries>;
  /** Byte offset up to which the file was consumed: pass it as `sinceByteOffset` to read only what follows. */
  offset: number;
  /** Complete lines that could not be parsed (corrupt, torn by a crash, not a metric). */
  skippedLines: number;
  /** True when the file was shorter than `sinceByteOffset` (replaced or truncated) and was read from the start. */
  reset: boolean;
  points: number;
}

export interface ReadMetricsOptions {
  sinceByteOffset?: number;
  /** Chunk size for reading; the file is never loaded whole. */
  chunkBytes?: number;
  signal?: AbortSignal;
}

class SeriesBuilder {
  steps: Float64Array;
  values: Float64Array;
  timestamps: Float64Array;
  length = 0;
  constructor(
    readonly name: string,
    readonly keyBytes: Buffer,
  ) {
    this.steps = new Float64Array(256);
    this.values = new Float64Array(256);
    this.timestamps = new Float64Array(256);
  }
  /** Whether buf[ks, ke) holds this series' name (as UTF-8 bytes). */
  matches(buf: Buffer, ks: number, ke: number): boolean {
    const kb = this.keyBytes;
    const len = kb.length;
    if (ke - ks !== len) return false;
    for (let i = 0; i < len; i++) if (kb[i] !== buf[ks + i]) return false;
    return true;
  }
  push(step: number, value: number, time: number): void {
    if (this.length === this.values.length) this.grow();
    const i = this.length++;
    // A point without a step gets its index in the series.
    this.steps[i] = step === step ? step : i;
    this.values[i] = value;
    this.timestamps[i] = time;
  }
  private grow(): void {
    const n = this.values.length * 2;
    const grow = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.steps = grow(this.steps);
    this.values = grow(this.values);
    this.timestamps = grow(this.timestamps);
  }
  build(): MetricSeries {
    return {
      name: this.name,
      steps: this.steps.subarray(0, this.length),
      values: this.values.subarray(0, this.length),
      timestamps: this.timestamps.subarray(0, this.length),
    };
  }
}

// Bytes of the canonical line `{"k":"NAME","v":V,"s":S,"t":T}` that both writers produce.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;
const NL = 0x0a;
const HEAD_LENGTH = 6; // {"k":"

/** `{"k":"` at pos (explicit compares: constant operands the JIT folds). */
function isHead(buf: Buffer, pos: number): boolean {
  return (
    buf[pos] === 0x7b &&
    buf[pos + 1] === 0x22 &&
    buf[pos + 2] === 0x6b &&
    buf[pos + 3] === 0x22 &&
    buf[pos + 4] === 0x3a &&
    buf[pos + 5] === 0x22
  );
}

/** `,"X":` at pos, X being the one-letter field name. */
function isField(buf: Buffer, pos: number, letter: number): boolean {
  return buf[pos] === 0x2c && buf[pos + 1] === 0x22 && buf[pos + 2] === letter && buf[pos + 3] === 0x22 && buf[pos + 4] === 0x3a;
}
const V = 0x76;
const S = 0x73;
const T = 0x74;
const FIELD_LENGTH = 5;

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

const TWO_53 = 9007199254740992;

// Buffer#latin1Slice is the fastest bytes -> string path (no encoding lookup); it is not in the typings.
const fastLatin1 = (Buffer.prototype as unknown as { latin1Slice?: (start: number, end: number) => string }).latin1Slice;
function latin1(buf: Buffer, start: number, end: number): string {
  return fastLatin1 ? fastLatin1.call(buf, start, end) : buf.toString('latin1', start, end);
}

/** Scratch result of the number parsers: where the number ended (-1 when there was none). */
let numEnd = -1;

/**
 * Parses a JSON number (plus Python's NaN / Infinity / -Infinity, and `null` as NaN) at `pos`.
 * A mantissa below 2^53 with a decimal exponent within ±22 is exact in one multiplication or
 * division (Clinger's fast path: both operands exact, one correctly rounded operation), which
 * covers most 16-digit values Python writes; other numbers go through parseFloat, so results
 * always equal JSON.parse's.
 */
function parseNumber(buf: Buffer, pos: number, end: number): number {
  const start = pos;
  let c = buf[pos];
  let neg = false;
  if (c === 0x2d) {
    neg = true;
    c = buf[++pos];
  }
  if (c === 0x4e /* N */ || c === 0x49 /* I */ || c === 0x6e /* n */) {
    const word = c === 0x4e ? 'NaN' : c === 0x49 ? 'Infinity' : 'null';
    if (pos + word.length > end || latin1(buf, pos, pos + word.length) !== word) return ((numEnd = -1), NaN);
    numEnd = pos + word.length;
    if (c === 0x49) return neg ? -Infinity : Infinity;
    return NaN;
  }
  // All digits, ignoring the point, as one integer. While it stays below 2^53 every step is exact;
  // once past it, rounding is monotonic, so it never comes back below 2^53.
  let mantissa = 0;
  let scale = 0;
  const intStart = pos;
  while (pos < end && (c = buf[pos]) >= 0x30 && c <= 0x39) {
    mantissa = mantissa * 10 + (c - 0x30);
    pos++;
  }
  let any = pos > intStart;
  if (pos < end && c === 0x2e /* . */) {
    pos++;
    const fracStart = pos;
    while (pos < end && (c = buf[pos]) >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      pos++;
    }
    scale = pos - fracStart;
    any = any || scale > 0;
  }
  if (!any) return ((numEnd = -1), NaN);
  let exp = 0;
  if (pos < end && (c === 0x65 || c === 0x45) /* e E */) {
    pos++;
    let expNeg = false;
    c = buf[pos];
    if (c === 0x2d || c === 0x2b) {
      expNeg = c === 0x2d;
      pos++;
    }
    const expStart = pos;
    while (pos < end && (c = buf[pos]) >= 0x30 && c <= 0x39) {
      exp = exp * 10 + (c - 0x30);
      pos++;
    }
    if (pos === expStart) return ((numEnd = -1), NaN);
    if (expNeg) exp = -exp;
  }
  numEnd = pos;
  const e10 = exp - scale;
  if (mantissa < TWO_53 && e10 >= -22 && e10 <= 22) {
    const v = e10 < 0 ? mantissa / POW10[-e10] : mantissa * POW10[e10];
    return neg ? -v : v;
  }
  return parseFloat(latin1(buf, start, pos));
}

/** A non-negative integer of at most 15 digits (steps, epoch-ms timestamps), else the general parser. */
function parseInteger(buf: Buffer, pos: number, end: number): number {
  let v = 0;
  let p = pos;
  let c = 0;
  while (p < end && (c = buf[p]) >= 0x30 && c <= 0x39) {
    v = v * 10 + (c - 0x30);
    p++;
  }
  if (p > pos && p - pos <= 15 && c !== 0x2e && c !== 0x65 && c !== 0x45) {
    numEnd = p;
    return v;
  }
  return parseNumber(buf, pos, end);
}

/** Streaming parser state: series by name, plus a tiny cache of recently seen key bytes. */
class MetricsParser {
  readonly byName = new Map<string, SeriesBuilder>();
  private recent: SeriesBuilder[] = [];
  private last: SeriesBuilder | undefined;
  skipped = 0;
  points = 0;

  private seriesFor(buf: Buffer, ks: number, ke: number): SeriesBuilder {
    const recent = this.recent;
    for (let r = 0; r < recent.length; r++) if (recent[r].matches(buf, ks, ke)) return recent[r];
    const name = buf.toString('utf8', ks, ke);
    return this.builder(name);
  }

  private builder(name: string): SeriesBuilder {
    let b = this.byName.get(name);
    if (!b) {
      b = new SeriesBuilder(name, Buffer.from(name, 'utf8'));
      this.byName.set(name, b);
    }
    if (this.recent.length < 16) this.recent.push(b);
    else if (!this.recent.includes(b)) this.recent[this.points & 15] = b;
    return b;
  }

  /** Parses the line [ls, le) (without its newline). Returns false when the line is not a metric point. */
  line(buf: Buffer, ls: number, le: number): boolean {
    while (le > ls && (buf[le - 1] === 0x0d || buf[le - 1] === 0x20)) le--;
    if (le === ls) return true; // blank line: not an error
    if (isHead(buf, ls)) {
      const ks = ls + HEAD_LENGTH;
      let q = ks;
      let c = 0;
      while (q < le && (c = buf[q]) !== QUOTE && c !== BACKSLASH) q++;
      if (c === QUOTE && isField(buf, q + 1, V)) {
        const v = parseNumber(buf, q + 1 + FIELD_LENGTH, le);
        let p = numEnd;
        if (p > 0 && isField(buf, p, S)) {
          const s = parseInteger(buf, p + FIELD_LENGTH, le);
          p = numEnd;
          if (p > 0 && isField(buf, p, T)) {
            const t = parseInteger(buf, p + FIELD_LENGTH, le);
            p = numEnd;
            if (p > 0 && p === le - 1 && buf[p] === CLOSE) {
              // Most logs repeat a handful of names: try the series of the previous line first.
              const last = this.last;
              const series = last !== undefined && last.matches(buf, ks, q) ? last : this.seriesFor(buf, ks, q);
              this.last = series;
              series.push(s, v, t);
              this.points++;
              return true;
            }
          }
        }
      }
    }
    return this.slowLine(buf.toString('utf8', ls, le));
  }

  /** Any other JSON object with k and v (keys in another order, escaped names, extra fields). */
  private slowLine(text: string): boolean {
    let o: unknown;
    try {
      o = JSON.parse(text.replace(/:\s*(-?Infinity|NaN)\s*([,}])/g, ':"$1"$2'));
    } catch {
      this.skipped++;
      return false;
    }
    if (typeof o !== 'object' || o === null) return (this.skipped++, false);
    const { k, v, s, t } = o as Record<string, unknown>;
    const value = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : v === null ? NaN : undefined;
    if (typeof k !== 'string' || value === undefined) return (this.skipped++, false);
    this.builder(k).push(typeof s === 'number' ? s : NaN, value, typeof t === 'number' ? t : NaN);
    this.points++;
    return true;
  }

  /** Parses complete lines in buf[0, end); returns the index after the last newline consumed. */
  chunk(buf: Buffer, end: number): number {
    let ls = 0;
    for (;;) {
      const nl = buf.indexOf(NL, ls);
      if (nl < 0 || nl >= end) return ls;
      this.line(buf, ls, nl);
      ls = nl + 1;
    }
  }

  result(offset: number, reset: boolean): MetricsReadResult {
    const series = new Map<string, MetricSeries>();
    for (const [name, b] of this.byName) series.set(name, b.build());
    return { series, offset, skippedLines: this.skipped, reset, points: this.points };
  }
}

/**
 * Reads `<runDir>/metrics.jsonl` from `sinceByteOffset` (default 0) to the end. Lines torn by a
 * crash or otherwise corrupt are skipped. An unterminated last line is used only when it is a
 * complete point (a writer may be in the middle of it); otherwise the returned offset stops before
 * it so that the next call reads it again.
 */
export async function readMetrics(runDir: string, options: ReadMetricsOptions = {}): Promise<MetricsReadResult> {
  return readMetricsFile(path.join(runDir, METRICS_FILE), options);
}

export async function readMetricsFile(file: string, options: ReadMetricsOptions = {}): Promise<MetricsReadResult> {
  const parser = new MetricsParser();
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return parser.result(options.sinceByteOffset ?? 0, false);
    throw e;
  }
  try {
    const size = (await handle.stat()).size;
    let offset = options.sinceByteOffset ?? 0;
    let reset = false;
    if (offset > size) {
      offset = 0;
      reset = true;
    }
    let buf = Buffer.allocUnsafe(Math.min(options.chunkBytes ?? 8 * 1024 * 1024, Math.max(size - offset, 1)));
    let filled = 0; // bytes of buf holding a carried-over partial line plus new data
    let position = offset;
    while (position < size) {
      options.signal?.throwIfAborted();
      if (filled === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2); // one line longer than a chunk
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, filled, Math.min(buf.length - filled, size - position), position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const end = filled + bytesRead;
      const consumed = parser.chunk(buf, end);
      offset += consumed;
      buf.copy(buf, 0, consumed, end);
      filled = end - consumed;
    }
    if (filled > 0 && parser.line(buf, 0, filled)) offset += filled;
    else if (filled > 0) parser.skipped--; // not counted: it may still be being written
    return parser.result(offset, reset);
  } finally {
    await handle.close();
  }
}

/** Appends the points of `next` (a later read) to `prev`, returning new series objects. */
export function mergeMetrics(prev: Map<string, MetricSeries>, next: Map<string, MetricSeries>): Map<string, MetricSeries> {
  const out = new Map(prev);
  for (const [name, b] of next) {
    const a = prev.get(name);
    if (!a) {
      out.set(name, b);
      continue;
    }
    const cat = (x: Float64Array, y: Float64Array) => {
      const r = new Float64Array(x.length + y.length);
      r.set(x);
      r.set(y, x.length);
      return r;
    };
    out.set(name, { name, steps: cat(a.steps, b.steps), values: cat(a.values, b.values), timestamps: cat(a.timestamps, b.timestamps) });
  }
  return out;
}
