/**
 * ONNX Runtime's error messages as one readable line: ANSI colours, log prefixes (`2026-01-01 10:00:00.1
 * [E:onnxruntime:, file.cc:12 Func]`, `[ONNXRuntimeError] : 2 : INVALID_ARGUMENT :`), C++ source locations and
 * function signatures, ORT_ENFORCE conditions and boilerplate advice are dropped; the common input errors are said
 * in words, naming the input; a failure inside a node says which node, and, given the inputs the run used, their
 * shapes. The full text stays for the log; this line is for a notification or a terminal.
 */

export interface OrtErrorContext {
  /** The feeds of the failed run, to name their shapes after a failure inside a node. */
  inputs?: readonly { name: string; shape: readonly number[] }[];
}

const MAX_LENGTH = 400;
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const LOG_PREFIX = /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \[[A-Z]:onnxruntime:[^\]]*\]\s*/g;
const STATUS_PREFIX = /\[ONNXRuntimeError\]\s*:\s*\d+\s*:\s*[A-Z_]+\s*:\s*/g;
/** `/onnxruntime_src/.../pad.cc:123 ` and the C++ signature that follows it (`ns::Class::Fn(args) `). */
const SOURCE_LOCATION =
  /(?:\/[\w.+-]+)*\/?[\w.+-]+\.(?:cc|cpp|h|hpp):\d+\s+(?:[\w:<>~,&* ]+\([^()]*(?:\([^()]*\)[^()]*)*\)(?:\s*const)?\s+)?/g;
const ENFORCE = /(^|[:.]\s+)[^:]*? was false\.\s*/g;
const ADVICE = [
  /\s*Please fix either the inputs\/outputs or the model\.?/g,
  /\s*If you need support,? create a github issue with justification\.?/gi,
];

const dims = (shape: readonly number[]): string => `[${shape.join(',')}]`;

/**
 * The line of a multi-line text that says what went wrong: the last `mlw <command>: ...` error line of a CLI's
 * stderr, else the last error record of an ORT log, else (a message ORT split over lines) all of it joined.
 */
function pickLine(text: string): string {
  const lines = text
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const cli = lines.filter((l) => /^mlw [\w-]+: /.test(l));
  if (cli.length > 0) return cli[cli.length - 1].replace(/^mlw [\w-]+: /, '');
  if (!lines.some((l) => /\[[A-Z]:onnxruntime:/.test(l))) return lines.join(' ');
  const records = lines.filter((l) => /\[[EF]:onnxruntime:/.test(l));
  return records[records.length - 1] ?? lines[lines.length - 1];
}

function rephrase(text: string, context: OrtErrorContext): string {
  let m = /^Invalid rank for input: (.+?) Got: (\d+) Expected: (\d+)/.exec(text);
  if (m) return `input \`${m[1]}\` has rank ${m[2]}; the model expects rank ${m[3]}`;
  m = /^Got invalid dimensions for input: (.+?) for the following indices\s+(.*)$/.exec(text);
  if (m) {
    const axes = [...m[2].matchAll(/index: (\d+) Got: (\d+) Expected: (\d+)/g)].map(
      (a) => `axis ${a[1]} is ${a[2]}, the model expects ${a[3]}`,
    );
    if (axes.length > 0) return `input \`${m[1]}\` has the wrong shape: ${axes.join('; ')}`;
  }
  m = /^Unexpected input data type\. Actual: \(tensor\((\w+)\)\)\s*,\s*expected: \(tensor\((\w+)\)\)/.exec(text);
  if (m) return `an input is ${m[1]} where the model expects ${m[2]}`;
  m = /^input '(.+?)' is missing in 'feeds'\.?/.exec(text);
  if (m) return `input \`${m[1]}\` is missing: the model needs a value for it`;
  m = /^Load model from .+? failed:\s*(.*)$/.exec(text);
  if (m) {
    const cause = m[1].replace(/^Load model .+? failed\.\s*/, '').replace(/\.$/, '');
    return cause === 'Protobuf parsing failed' ? 'not a valid ONNX file (protobuf parsing failed)' : cause;
  }
  m = /^Non-zero status code returned while running (\S+) node\. Name:'(.*?)' Status Message:\s*(.*)$/.exec(text);
  if (m) {
    const [, op, node, message] = m;
    let got = '';
    const cause = message
      .replace(/>=/g, '≥')
      .replace(/<=/g, '≤')
      .replace(/ after slicing\. Input shape:\s*\{([\d,\s]*)\}\.?/, (_s, shape: string) => {
        got = ` got [${shape.replace(/\s/g, '')}]`;
        return '';
      })
      .replace(/\.$/, '');
    const where = node ? `node '${node}'` : `a ${op} node`;
    const line = cause.toLowerCase().startsWith(op.toLowerCase()) ? `${cause} (${where}${got})` : `${op} ${where}${got}: ${cause}`;
    const inputs = context.inputs ?? [];
    if (inputs.length === 0) return line;
    const shown = inputs.slice(0, 3).map((i) => `\`${i.name}\` was ${dims(i.shape)}`);
    return `${line}; input${inputs.length > 1 ? 's' : ''} ${shown.join(', ')}${inputs.length > 3 ? `, … ${inputs.length - 3} more` : ''}`;
  }
  return text;
}

/** One readable line for an ONNX Runtime error (an Error, its message, or a whole log). */
export function ortErrorLine(error: unknown, context: OrtErrorContext = {}): string {
  const raw = error instanceof Error ? error.message : String(error);
  let text = pickLine(raw).replace(LOG_PREFIX, '').replace(STATUS_PREFIX, '').replace(SOURCE_LOCATION, '').replace(ENFORCE, '$1');
  for (const a of ADVICE) text = text.replace(a, '');
  text = text.replace(/^Exception during initialization:\s*/, 'cannot initialize the model: ');
  text = rephrase(text.replace(/\s+/g, ' ').trim(), context).trim();
  if (text.length === 0) return 'unknown error';
  return text.length > MAX_LENGTH ? `${text.slice(0, MAX_LENGTH - 1)}…` : text;
}
