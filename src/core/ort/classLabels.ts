/**
 * Class names from a model's metadata_props, for top-k lists. Keys tried in order (case-insensitive): labels,
 * classes, class_names, names, id2label, label_names, categories, synset. A value may be a JSON array of names, a
 * JSON object of index -> name (Hugging Face's id2label), a Python dict literal ({0: 'person', 1: 'bicycle'}, as
 * Ultralytics writes `names`), or a newline- or comma-separated list. Labels are used for an output only when they
 * fit its class count: a list of exactly that length, or a map whose indices are all below it.
 */
export const LABEL_KEYS = ['labels', 'classes', 'class_names', 'names', 'id2label', 'label_names', 'categories', 'synset'] as const;

type Props = readonly { key: string; value: string }[];

/** index -> name, or undefined when the text is none of the accepted forms. */
export function parseLabels(text: string): Map<number, string> | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  const out = new Map<number, string>();
  try {
    const parsed: unknown = JSON.parse(t);
    if (Array.isArray(parsed)) {
      parsed.forEach((v, i) => out.set(i, String(v)));
      return out.size ? out : undefined;
    }
    if (parsed && typeof parsed === 'object') {
      for (const [k, v] of Object.entries(parsed)) {
        if (!/^\d+$/.test(k)) return undefined;
        out.set(Number(k), String(v));
      }
      return out.size ? out : undefined;
    }
    return undefined;
  } catch {
    // not JSON: a Python literal or a plain list
  }
  if (t.startsWith('{')) {
    // {0: 'person', 1: "bicycle"}: integer keys and quoted names.
    const entry = /\s*(\d+)\s*:\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(,|\})/gy;
    let at = 1;
    entry.lastIndex = at;
    for (let m = entry.exec(t); m; m = entry.exec(t)) {
      out.set(Number(m[1]), (m[2] ?? m[3]).replace(/\\(.)/g, '$1'));
      at = entry.lastIndex;
      if (m[4] === '}') break;
    }
    return out.size && at === t.length ? out : undefined;
  }
  if (t.startsWith('[')) {
    // ['cat', 'dog']
    const items = [...t.slice(1, -1).matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? m[2]);
    items.forEach((v, i) => out.set(i, v));
    return out.size ? out : undefined;
  }
  const items = (t.includes('\n') ? t.split(/\r?\n/) : t.split(',')).map((s) => s.trim());
  if (items.length < 2 || items.some((s) => s === '')) return undefined;
  items.forEach((v, i) => out.set(i, v));
  return out;
}

export interface ClassLabels {
  key: string;
  labels: Map<number, string>;
}

/** Every parseable label set in the metadata, in key order. */
export function labelSetsFromMetadata(props: Props): ClassLabels[] {
  const sets: ClassLabels[] = [];
  for (const key of LABEL_KEYS) {
    const hit = props.find((p) => p.key.toLowerCase() === key);
    const labels = hit && parseLabels(hit.value);
    if (hit && labels) sets.push({ key: hit.key, labels });
  }
  return sets;
}

/** The first label set that fits an output of `classes` classes. */
export function labelsForClasses(sets: readonly ClassLabels[], classes: number): ClassLabels | undefined {
  const isList = (l: Map<number, string>) => [...l.keys()].every((k, i) => k === i);
  return (
    sets.find((s) => isList(s.labels) && s.labels.size === classes) ??
    sets.find((s) => !isList(s.labels) && [...s.labels.keys()].every((k) => k < classes))
  );
}
