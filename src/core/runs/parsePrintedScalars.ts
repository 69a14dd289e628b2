import { parseMetricNumber, type ParsedMetricLine } from './parseMetricLine';

/**
 * Printed scalars: metrics taken from a training script's ordinary output, with no code change.
 * One line of output (one `\r` segment, see ScalarCapture) gives the points it holds:
 *
 *     epoch 3 loss: 0.2345 acc=0.91                      loss, acc at step 3
 *     {'loss': 0.69, 'learning_rate': 5e-05, 'epoch': 0.5}   HF Trainer: loss, learning_rate at step 0.5
 *     32/32 [=====] - 1s 3ms/step - loss: 0.69 - accuracy: 0.50      Keras
 *     [7]	train-logloss:0.4123	eval-logloss:0.4377        XGBoost: step 7
 *
 * The rules:
 * - A pair is `name=value`, `name = value`, `name: value`, `name:value`, or a quoted `'name': value` /
 *   `"name": value` (dicts, JSON). A name is an identifier (letters, digits, `_ . / -`, starting with a
 *   letter or `_`) that starts the line or follows whitespace or one of `, ; : | ( [ { ' "`: so URLs,
 *   paths and `a-b=1` file names give nothing. The value is a number in any float syntax (`1e-3`,
 *   `.5`, `-inf`, `nan`), optionally wrapped as `tensor(…)` / `np.float32(…)` or followed by `%`, and
 *   must end there: `1.2.3`, `10:11:12`, `2024-01-02`, `12.5s`, `0x1f`, `1,000` are not numbers.
 * - Prose is not a metric. A pair written with `:` or with spaces around `=` is ignored when it ends a
 *   phrase of words ("Number of parameters: 12"; a log level such as `INFO` does not count as a word)
 *   or when a word follows its value ("Error: 3 files not found"). A phrase of two words whose first
 *   is a qualifier (train, training, val, valid, validation, test, eval, avg, average, mean, best,
 *   final, total) makes one name: `train loss: 0.5` is `train_loss`, `Val Acc: 0.9` is `Val_Acc`. `name=value`
 *   without spaces and quoted names always count. Log levels, `line`, `pid`, `port`, `code`, `status`
 *   and `*version` are never metric names.
 * - The step: `step`, `iteration`, `iter` or `epoch` on the line, as a pair (`epoch=3`, `'epoch': 0.5`,
 *   `Epoch: 3`) or followed by an integer (`epoch 3`, `Epoch 3/10`, `Step [100/600]`), in that order of
 *   preference; else XGBoost's leading `[N]`. Of several, the first not given as `N/total` wins (with
 *   only `N/total` forms, like `Epoch [1/5], Step [100/600]`, the step is left automatic, since that
 *   step restarts every epoch). The step word is not recorded as a metric; other step words on the
 *   line given as pairs are. Without a step, each metric takes its next automatic step.
 * - Whole lines are skipped: longer than MAX_SCALAR_LINE characters, progress bars (tqdm's `45%|`,
 *   `[00:01<00:02`, `12.3it/s`), argparse's `Namespace(...)` (params, not metrics).
 */
export const MAX_SCALAR_LINE = 4096;

/** Metrics per line, at most: a line of 4 KiB holds a few hundred short pairs. */
const MAX_PAIRS = 256;

const NUM = String.raw`[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|inf(?:inity)?)`;
/** What follows a pair's `=` or `:`: 1 space, 2 wrapper, 3 number (which must end there). */
const VALUE = new RegExp(String.raw`(\s*)(tensor\(|np\.(?:float|int)\d*\()?(${NUM})(?![\w.:/-]|,\d)`, 'iy');
/** `epoch 3`, `Epoch 3/10`, `Step [100/600]`: 1 word, 2 or 4 the number, 3 or 5 the `/total`. */
const BARE_STEP = /(?<![^\s,;:|([{])(step|iteration|iter|epoch)(?:\s+(\d+)(\s*\/\s*\d+)?|\s*\[\s*(\d+)(\s*\/\s*\d+)?\s*\])(?![\w.%/])/gi;
const XGB_ROUND = /^\[(\d+)\]\s/;
/** What a pair's value may be followed by (after whitespace) without being prose. */
const NEXT_PAIR = /['"]?[A-Za-z_][\w./-]*['"]?\s*[=:]|(?:step|iteration|iter|epoch)\s*[[\d]/iy;
const PROGRESS_BAR = /\d%\||\|\s*\d+\/\d+\s*\[|\[\d+:\d\d(?::\d\d)?<|\d[A-Za-z]*\/s(?![A-Za-z])|\ds\/it\b|\?it\/s/;
const PLAIN_WORD = /^[A-Za-z]+$/;
const QUALIFIERS = new Set([
  'train',
  'training',
  'val',
  'valid',
  'validation',
  'test',
  'eval',
  'avg',
  'average',
  'mean',
  'best',
  'final',
  'total',
]);
const LOG_LEVELS = new Set(['info', 'warning', 'warn', 'debug', 'error', 'critical', 'fatal', 'trace', 'notice']);
const NOT_METRICS = new Set([
  ...LOG_LEVELS,
  'errors',
  'warnings',
  'note',
  'exception',
  'line',
  'lineno',
  'pid',
  'port',
  'errno',
  'code',
  'status',
  'localhost',
  'host',
]);
const STEP_PRIORITY: Record<string, number> = { step: 0, iteration: 1, iter: 2, epoch: 3, round: 4 };

interface StepCandidate {
  word: string;
  value: number;
  ofTotal: boolean;
  /** Index in `pairs` when the step word was a pair (so it can still be a metric). */
  pair?: number;
}

const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\f' || c === '\v';

/** Characters of a name: letters, digits, `_ . / -`. */
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 46 || c === 47 || c === 45;
}

/** What may come right before a name (or its opening quote): the line start, whitespace or `, ; : | ( [ { ' "`. */
function isNameBoundary(line: string, i: number): boolean {
  if (i < 0) return true;
  const c = line[i];
  return /\s/.test(c) || ',;:|([{\'"'.includes(c);
}

interface PairMatch {
  /** Where the pair (its name or opening quote) starts, and where its value ends. */
  index: number;
  end: number;
  quoted: boolean;
  name: string;
  loose: boolean;
  wrapped: boolean;
  num: string;
}

/**
 * The next pair at or after `from`: found from each `=` / `:`, reading the name backwards and the
 * value forwards (much cheaper than a regex tried at every position of every line).
 */
function nextPair(line: string, from: number): PairMatch | undefined {
  for (let j = from; j < line.length; j++) {
    const sep = line.charCodeAt(j);
    if (sep !== 61 && sep !== 58) continue; // '=' ':'
    let i = j - 1;
    while (i >= from && isSpace(line[i])) i--;
    const spaced = i < j - 1;
    const q = line[i];
    const quoted = q === "'" || q === '"';
    if (quoted) i--;
    const nameEnd = i + 1;
    while (i >= from && isNameChar(line.charCodeAt(i))) i--;
    const nameStart = i + 1;
    if (nameStart === nameEnd) continue;
    const first = line.charCodeAt(nameStart);
    if (!((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95)) continue;
    if (quoted && line[i] !== q) continue;
    const index = quoted ? i : nameStart;
    if (!isNameBoundary(line, index - 1)) continue;
    VALUE.lastIndex = j + 1;
    const m = VALUE.exec(line);
    if (!m) continue;
    return {
      index,
      end: VALUE.lastIndex,
      quoted,
      name: line.slice(nameStart, nameEnd),
      loose: !quoted && (sep === 58 || spaced || m[1] !== ''),
      wrapped: !!m[2],
      num: m[3],
    };
  }
  return undefined;
}

/** The whitespace-delimited token before position `i` (which follows whitespace), or '' at line start, and where it starts. */
function tokenBefore(line: string, i: number): { token: string; start: number } {
  let end = i;
  while (end > 0 && isSpace(line[end - 1])) end--;
  let start = end;
  while (start > 0 && !isSpace(line[start - 1])) start--;
  return { token: line.slice(start, end), start };
}

/** Whether a word ends a phrase: a plain word (letters only) that is not a log level. */
function isProseWord(token: string): boolean {
  return PLAIN_WORD.test(token) && !LOG_LEVELS.has(token.toLowerCase());
}

/**
 * The name of a loose pair at `i` (not a step word), or undefined when it ends a phrase of words.
 * A qualifier before it (`train loss:`, `Val Acc:`, `Average loss:`) that itself starts the phrase
 * joins the name with `_`.
 */
function looseName(line: string, i: number, name: string): string | undefined {
  if (i === 0 || !isSpace(line[i - 1])) return name;
  const prev = tokenBefore(line, i);
  if (!isProseWord(prev.token)) return name;
  if (!QUALIFIERS.has(prev.token.toLowerCase())) return undefined;
  if (prev.start > 0 && isProseWord(tokenBefore(line, prev.start).token)) return undefined;
  return `${prev.token}_${name}`;
}

/** Whether what follows a loose pair's value (from `i`) reads as prose: a word that does not start another pair. */
function prosefollows(line: string, i: number): boolean {
  if (line[i] === '%') i++;
  while (isSpace(line[i])) i++;
  if (i >= line.length) return false;
  const c = line.charCodeAt(i);
  const isDigit = c >= 48 && c <= 57;
  const isWordStart = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 39 || c === 34;
  if (isDigit) return true;
  if (!isWordStart) return false; // punctuation: `,`, `-`, `|`, `)`, `[`...
  NEXT_PAIR.lastIndex = i;
  return !NEXT_PAIR.test(line);
}

function isStepValue(v: number): boolean {
  return Number.isFinite(v) && v >= 0;
}

/** The points a line of output holds, or undefined when it holds none (see the rules above). */
export function parsePrintedScalars(line: string): ParsedMetricLine | undefined {
  if (line.length > MAX_SCALAR_LINE) return undefined;
  if (line.indexOf('=') < 0 && line.indexOf(':') < 0) return undefined;
  if ((line.includes('|') || line.includes('/') || line.includes('<')) && PROGRESS_BAR.test(line)) return undefined;
  if (line.includes('Namespace(') && /^\s*Namespace\(/.test(line)) return undefined;

  const pairs: Array<{ k: string; v: number }> = [];
  const steps: StepCandidate[] = [];
  for (let m = nextPair(line, 0); m && pairs.length < MAX_PAIRS; m = nextPair(line, m.end)) {
    const c = m.num.charCodeAt(m.num.length - 1);
    const v = c >= 48 && c <= 57 ? Number(m.num) : parseMetricNumber(m.num); // VALUE checked the syntax
    if (v === undefined) continue;
    const lower = m.name.toLowerCase();
    if (NOT_METRICS.has(lower) || lower.endsWith('version')) continue;
    const stepWord = lower in STEP_PRIORITY && lower !== 'round';
    let k: string | undefined = m.name;
    if (m.loose) {
      if (!m.wrapped && prosefollows(line, m.end)) continue;
      if (!stepWord) k = looseName(line, m.index, m.name);
      if (k === undefined) continue;
    }
    if (stepWord) {
      if (isStepValue(v)) steps.push({ word: lower, value: v, ofTotal: false, pair: pairs.length });
      else continue;
    }
    pairs.push({ k, v });
  }
  if (!pairs.length) return undefined;

  BARE_STEP.lastIndex = 0;
  for (let m = BARE_STEP.exec(line); m; m = BARE_STEP.exec(line)) {
    steps.push({ word: m[1].toLowerCase(), value: Number(m[2] ?? m[4]), ofTotal: !!(m[3] ?? m[5]) });
  }
  const round = XGB_ROUND.exec(line);
  if (round) steps.push({ word: 'round', value: Number(round[1]), ofTotal: false });

  let chosen: StepCandidate | undefined;
  if (steps.length === 1) chosen = steps[0];
  else if (steps.length > 1) {
    const ordered = [...steps].sort((a, b) => STEP_PRIORITY[a.word] - STEP_PRIORITY[b.word]);
    chosen = ordered.find((s) => !s.ofTotal);
  }
  const values = chosen?.pair === undefined ? pairs : pairs.filter((_, i) => i !== chosen?.pair);
  if (!values.length) return undefined;
  return chosen ? { values, step: chosen.value } : { values };
}
