/**
 * Promotion gates, as declared in mlw.yaml: `METRIC OP VALUE`, `METRIC OP champion [+|- X]` (OP one of >=, >, <=, <),
 * or `no_drift`. Pure: no I/O.
 */

export type GateOp = '>=' | '>' | '<=' | '<';

export type Gate =
  | { kind: 'value'; text: string; metric: string; op: GateOp; value: number }
  | { kind: 'champion'; text: string; metric: string; op: GateOp; offset: number }
  | { kind: 'no_drift'; text: string };

export class GateParseError extends Error {
  constructor(
    readonly gate: string,
    /** 1-based column of the problem in the gate text. */
    readonly column: number,
    what: string,
  ) {
    super(`gate "${gate}": ${what} at column ${column}`);
    this.name = 'GateParseError';
  }
}

const METRIC = /^[A-Za-z_][A-Za-z0-9_./-]*/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/;
const OP = /^(>=|<=|>|<)/;

export function parseGate(text: string): Gate {
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const fail = (what: string): never => {
    throw new GateParseError(text, pos + 1, what);
  };
  const rest = () => text.slice(pos);
  skip();
  if (pos >= text.length) fail('empty gate: expected METRIC OP VALUE, METRIC OP champion [+|- X], or no_drift');
  const metric = METRIC.exec(rest())?.[0] ?? fail(`expected a metric name, found "${rest()[0]}"`);
  pos += metric.length;
  skip();
  if (metric === 'no_drift') {
    if (pos < text.length) fail(`no_drift takes nothing after it, found "${rest()}"`);
    return { kind: 'no_drift', text: text.trim() };
  }
  if (pos >= text.length) fail(`expected one of >=, >, <=, < after "${metric}"`);
  const op = (OP.exec(rest())?.[0] as GateOp | undefined) ?? fail(`expected one of >=, >, <=, < after "${metric}", found "${rest()}"`);
  pos += op.length;
  if (/^[=<>]/.test(rest())) fail(`expected one of >=, >, <=, <, found "${op}${rest()[0]}"`);
  skip();
  if (pos >= text.length) fail(`expected a number or champion after "${op}"`);
  if (/^champion\b/.test(rest())) {
    pos += 'champion'.length;
    skip();
    let offset = 0;
    if (pos < text.length) {
      const sign = rest()[0];
      if (sign !== '+' && sign !== '-') fail(`expected + or - after champion, found "${rest()}"`);
      pos++;
      skip();
      const num = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/.exec(rest())?.[0] ?? fail(`expected a number after "${sign}"`);
      pos += num.length;
      offset = sign === '-' ? -Number(num) : Number(num);
      skip();
      if (pos < text.length) fail(`unexpected "${rest()}" after the gate`);
    }
    return { kind: 'champion', text: text.trim(), metric, op, offset };
  }
  const num = NUMBER.exec(rest())?.[0] ?? fail(`expected a number or champion, found "${rest()}"`);
  pos += num.length;
  skip();
  if (pos < text.length) fail(`unexpected "${rest()}" after the gate`);
  return { kind: 'value', text: text.trim(), metric, op, value: Number(num) };
}

export function compare(a: number, op: GateOp, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
  }
}

/** The operator that holds when `op` does not: the one a failing gate's detail shows. */
export function negate(op: GateOp): GateOp {
  return ({ '>=': '<', '>': '<=', '<=': '>', '<': '>=' } as const)[op];
}
