/**
 * Finds string literals in source text (Python, TypeScript, JavaScript, YAML, JSON) that look like paths
 * of ONNX model files. Pure text scanning: whether the file exists is the caller's business.
 */

export interface ModelPathCandidate {
  /** The path as written, quotes removed, escapes of the quote character resolved. */
  path: string;
  /** Offsets of the literal's content (without quotes) in the text: [start, end). */
  start: number;
  end: number;
}

const MODEL_EXTENSION = /\.onnx$/i;
const MAX_PATH = 1024;

function isModelPath(p: string): boolean {
  return p.length > 0 && p.length <= MAX_PATH && MODEL_EXTENSION.test(p) && !/[\r\n\0]/.test(p) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p);
}

/** Python string prefixes (r, b, f, u and their combinations) before a quote. */
const PY_PREFIX = /[rRbBuUfF]{1,2}$/;

/**
 * Every quoted literal ('…', "…", `…` without `${`) whose content ends in `.onnx`, and in YAML, unquoted
 * scalar values (`model: models/a.onnx`, `- models/a.onnx`). Triple-quoted Python strings are skipped.
 */
export function findModelPaths(text: string, options: { yaml?: boolean } = {}): ModelPathCandidate[] {
  const found: ModelPathCandidate[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '#' && options.yaml) {
      // A YAML comment runs to the end of the line (only when it starts a token).
      if (i === 0 || /\s/.test(text[i - 1])) {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? text.length : nl + 1;
        continue;
      }
    }
    if (c === '"' || c === "'" || c === '`') {
      if (text.startsWith(c.repeat(3), i)) {
        const close = text.indexOf(c.repeat(3), i + 3);
        i = close < 0 ? text.length : close + 3;
        continue;
      }
      let j = i + 1;
      let value = '';
      let closed = false;
      const raw = PY_PREFIX.test(text.slice(Math.max(0, i - 2), i)) && /[rR]/.test(text.slice(Math.max(0, i - 2), i));
      while (j < text.length) {
        const d = text[j];
        if (d === '\n') break;
        if (d === '\\' && j + 1 < text.length) {
          const next = text[j + 1];
          if (raw) value += d + next;
          else value += next === c || next === '\\' ? next : d + next;
          j += 2;
          continue;
        }
        if (d === c) {
          // YAML single quotes escape a quote by doubling it.
          if (c === "'" && options.yaml && text[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          closed = true;
          break;
        }
        value += d;
        j++;
      }
      if (closed && !(c === '`' && value.includes('${')) && isModelPath(value)) found.push({ path: value, start: i + 1, end: j });
      i = closed ? j + 1 : j;
      continue;
    }
    i++;
  }
  if (options.yaml) found.push(...findYamlPlainScalars(text));
  return found.sort((a, b) => a.start - b.start);
}

/** `key: value.onnx` and `- value.onnx` with a plain (unquoted) scalar. */
function findYamlPlainScalars(text: string): ModelPathCandidate[] {
  const found: ModelPathCandidate[] = [];
  const line = /^([ \t]*(?:-[ \t]+)?(?:[^\s#'"][^:#\n]*:[ \t]+)?)([^\s'"#[{][^#\n]*?)[ \t]*(?:[ \t]#.*)?$/gm;
  for (let m = line.exec(text); m; m = line.exec(text)) {
    const value = m[2];
    if (!isModelPath(value) || value.includes(': ')) continue;
    if (!/^[ \t]*-[ \t]/.test(m[1]) && !m[1].includes(':')) continue;
    const start = m.index + m[1].length;
    found.push({ path: value, start, end: start + value.length });
  }
  return found;
}

/**
 * Where a candidate may point: relative to the document's folder first, then to each workspace root. Absolute
 * paths as they are. Uses '/' separators; `join` is the caller's path join (node:path or posix).
 */
export function candidateLocations(
  candidate: string,
  documentDir: string | undefined,
  roots: readonly string[],
  join: (...parts: string[]) => string,
  isAbsolute: (p: string) => boolean,
): string[] {
  const p = candidate.startsWith('./') ? candidate.slice(2) : candidate;
  if (isAbsolute(p)) return [p];
  const bases = [...(documentDir !== undefined ? [documentDir] : []), ...roots];
  const out: string[] = [];
  for (const b of bases) {
    const full = join(b, p);
    if (!out.includes(full)) out.push(full);
  }
  return out;
}
