/** The summary page: header, signature, opsets, metadata, parameters, operators, functions, external data, warnings. */
import type { InspectorLoadError, InspectorState, InspectorValue } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';
import { formatBytes, formatCount, formatShape } from '../lib/format';

type Row = (Node | string)[];

function table(label: string, headers: string[], rows: Row[], numeric: number[] = []): HTMLElement {
  return h(
    'table',
    { class: 'grid', 'aria-label': label },
    h('thead', {}, h('tr', {}, ...headers.map((t, i) => h('th', numeric.includes(i) ? { class: 'num' } : {}, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', numeric.includes(i) ? { class: 'num' } : {}, c))))),
  );
}

function section(title: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'insp-section' }, h('h2', {}, title), ...content);
}

function mono(text: string): HTMLElement {
  return h('span', { class: 'mono' }, text);
}

function signatureRows(kind: string, values: InspectorValue[]): Row[] {
  return values.map((v) => [kind, mono(v.name), mono(v.type), mono(formatShape(v.shape))]);
}

export function renderSummary(state: InspectorState): HTMLElement {
  const s = state.summary;
  const facts: [string, string][] = [
    ['Producer', [s.producerName, s.producerVersion].filter(Boolean).join(' ') || '—'],
    ['IR version', String(s.irVersion)],
    ['Domain', s.domain || '—'],
    ['Model version', String(s.modelVersion)],
    ['Graph', s.graphName || '—'],
    ['File size', formatBytes(s.fileSize)],
    ['Nodes', `${formatCount(s.nodeCount)}${s.subgraphCount ? ` (${formatCount(s.subgraphCount)} subgraphs)` : ''}`],
    ['Parameters', `${formatCount(s.parameterCount)} (${formatBytes(s.parameterBytes)})`],
    ['Read', `${formatBytes(s.bytesRead)} in ${state.loadMs.toFixed(0)} ms`],
  ];
  const header = h('dl', { class: 'insp-facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

  const maxOp = Math.max(1, ...s.operators.map((o) => o.count));
  const opRows = s.operators.map((o) => {
    const bar = h('span', { class: 'insp-bar', 'aria-hidden': 'true' });
    bar.style.width = `${Math.max(1, (o.count / maxOp) * 100)}%`; // CSSOM, allowed by the CSP (no inline style attribute)
    return h(
      'div',
      { class: 'insp-op', role: 'listitem' },
      h(
        'span',
        { class: 'mono insp-op-name', title: `${o.domain}::${o.opType}` },
        o.domain === 'ai.onnx' ? o.opType : `${o.domain}::${o.opType}`,
      ),
      h('span', { class: 'insp-bar-track' }, bar),
      h('span', { class: 'num' }, formatCount(o.count)),
    );
  });

  return h(
    'div',
    { class: 'insp-summary' },
    h('p', { class: 'muted mono' }, s.path),
    s.docString ? h('p', { class: 'insp-doc' }, s.docString) : null,
    header,
    s.warnings.length ? section('Warnings', h('ul', { class: 'insp-warnings' }, ...s.warnings.map((w) => h('li', {}, w)))) : null,
    section(
      'Signature',
      table(
        'Inputs and outputs',
        ['', 'Name', 'Type', 'Shape'],
        [...signatureRows('input', s.inputs), ...signatureRows('output', s.outputs)],
      ),
    ),
    section(
      'Opsets',
      table(
        'Opset imports',
        ['Domain', 'Version'],
        s.opsetImports.map((o) => [mono(o.domain), String(o.version)]),
        [1],
      ),
    ),
    s.metadataProps.length
      ? section(
          'Metadata',
          table(
            'Metadata properties',
            ['Key', 'Value'],
            s.metadataProps.map((p) => [mono(p.key), p.value.length > 500 ? `${p.value.slice(0, 500)}…` : p.value]),
          ),
        )
      : null,
    section(
      'Parameters by type',
      s.parametersByDtype.length
        ? table(
            'Parameters by data type',
            ['Type', 'Tensors', 'Elements', 'Bytes'],
            s.parametersByDtype.map((d) => [mono(d.dtype), formatCount(d.tensors), formatCount(d.elements), formatBytes(d.bytes)]),
            [1, 2, 3],
          )
        : h('p', { class: 'muted' }, 'No weights.'),
      h(
        'p',
        { class: 'muted' },
        `${formatCount(s.initializerCount)} initializers, ${formatCount(s.sparseInitializerCount)} sparse, ${formatCount(s.attributeTensorCount)} tensors in attributes.`,
      ),
    ),
    section(
      `Operators (${s.operators.length} types)`,
      h('div', { class: 'insp-ops', role: 'list', 'aria-label': 'Operator histogram' }, ...opRows),
    ),
    s.functions.length
      ? section(
          'Functions',
          table(
            'Model-local functions',
            ['Domain', 'Name', 'Nodes', 'Inputs', 'Outputs'],
            s.functions.map((f) => [
              mono(f.domain),
              mono(f.overload ? `${f.name}:${f.overload}` : f.name),
              formatCount(f.nodeCount),
              f.inputs.join(', '),
              f.outputs.join(', '),
            ]),
            [2],
          ),
        )
      : null,
    s.externalData.length
      ? section(
          'External data',
          table(
            'External data files',
            ['File', 'Tensors', 'Bytes referenced', 'File size', 'Problem'],
            s.externalData.map((e) => [
              mono(e.location),
              formatCount(e.tensors),
              formatBytes(e.bytes),
              e.size === undefined ? 'missing' : formatBytes(e.size),
              e.error ?? '',
            ]),
            [1, 2, 3],
          ),
        )
      : null,
    s.trainingInfoCount ? h('p', { class: 'muted' }, `${s.trainingInfoCount} training info entries (not shown).`) : null,
  );
}

/** A file that is not a readable ONNX model: the reason, where, and the way out. */
export function renderLoadError(error: InspectorLoadError, onReopen: () => void, onRetry: () => void): HTMLElement {
  const reopen = h('button', { type: 'button', class: 'insp-button' }, 'Reopen With…');
  reopen.addEventListener('click', onReopen);
  const retry = h('button', { type: 'button', class: 'insp-button secondary' }, 'Try Again');
  retry.addEventListener('click', onRetry);
  return h(
    'div',
    { class: 'insp-error', role: 'alert' },
    h('h1', {}, error.kind === 'format' ? `${error.fileName} is not a readable ONNX model` : `Cannot read ${error.fileName}`),
    h('p', { class: 'mono' }, error.message),
    error.offset !== undefined ? h('p', {}, `At byte offset ${formatCount(error.offset)} (0x${error.offset.toString(16)}).`) : null,
    h('p', { class: 'muted' }, 'To look at the raw bytes, reopen the file with the Text Editor or a Hex Editor.'),
    h('div', { class: 'toolbar' }, reopen, retry),
  );
}
