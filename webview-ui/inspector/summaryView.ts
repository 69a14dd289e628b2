/** The summary page: header, signature, opsets, metadata, parameters, operators, functions, external data, warnings. */
import type { EditedModel, EditedTensor } from '../../src/core/onnx/edit/editSteps';
import type { InspectorLoadError, InspectorState, InspectorValue } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';
import { formatBytes, formatCount, formatShape } from '../lib/format';
import { actionButton, editNotes, inlineEdit, parseDim, type EditContext } from './editControls';
import { removeOutputButton, structureSection } from './outputEdits';

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

/** Signature rows with the pending edits: names and dims as buttons that edit them. */
function editableRows(kind: 'input' | 'output', tensors: EditedTensor[], values: InspectorValue[], ctx: EditContext): Row[] {
  const tag = kind === 'input' ? 'in' : 'out';
  return tensors.map((t, i) => {
    const value = values.find((v) => v.name === t.source);
    const type = value?.type ?? '';
    const renamed = t.name !== t.source && !t.added;
    const name = h(
      'span',
      { class: 'insp-edit-cell' },
      inlineEdit({
        key: `${tag}:${i}:name`,
        text: t.name,
        label: `Rename ${kind} ${t.name}`,
        inputLabel: `New name for ${kind} ${t.name}`,
        initial: t.name,
        edited: renamed,
        ctx,
        step: (v) =>
          v === '' || v === t.name ? undefined : { kind: kind === 'input' ? 'renameInput' : 'renameOutput', from: t.name, to: v },
      }),
      renamed ? ' ' : null,
      renamed ? h('span', { class: 'muted' }, `(was ${t.source})`) : null,
      t.added ? h('span', { class: 'muted insp-edited' }, ` (added${t.name !== t.source ? ` from ${t.source}` : ''}, not saved)`) : null,
    );
    let shape: Node;
    // An added output's shape is the graph's (file or inferred) until saved; its dims are set after Save.
    if (t.shape === undefined) shape = mono(formatShape(value?.shape));
    else {
      const cell = h('span', { class: 'mono insp-edit-cell' }, '[');
      t.shape.forEach((d, axis) => {
        if (axis > 0) cell.append(', ');
        const now = d === null ? '?' : String(d);
        cell.append(
          inlineEdit({
            key: `${tag}:${i}:dim:${axis}`,
            text: now,
            label: `Set dimension ${axis} of ${kind} ${t.name}, now ${now}`,
            inputLabel: `Dimension ${axis} of ${kind} ${t.name}: a size or a name`,
            placeholder: 'size or name',
            initial: d === null ? '' : String(d),
            edited: t.editedAxes.includes(axis),
            ctx,
            step: (v) => {
              const value = parseDim(v);
              return value === undefined || value === d ? undefined : { kind: 'setDim', tensor: t.name, axis, value };
            },
          }),
        );
      });
      cell.append(']');
      shape = cell;
    }
    return [kind, name, mono(type), shape, kind === 'output' ? removeOutputButton(t, i, ctx) : ''];
  });
}

/** The metadata table with the pending edits: each value editable and removable, and a row to add a key. */
function editableMetadata(edited: EditedModel, ctx: EditContext): HTMLElement {
  const rows: Row[] = edited.metadata.map((m, i) => [
    h('span', { class: `mono${m.edited ? ' insp-edited' : ''}` }, m.key),
    inlineEdit({
      key: `meta:${i}:value`,
      text: m.value.length > 500 ? `${m.value.slice(0, 500)}…` : m.value || '(empty)',
      label: `Edit metadata ${m.key}`,
      inputLabel: `Value of metadata ${m.key}`,
      initial: m.value,
      edited: m.edited,
      ctx,
      step: (v) => (v === m.value ? undefined : { kind: 'setMeta', key: m.key, value: v }),
    }),
    actionButton(`meta:${i}:remove`, 'Remove', `Remove metadata ${m.key}`, ctx, () => ctx.send({ kind: 'removeMeta', key: m.key })),
  ]);
  const key = h('input', { type: 'text', class: 'insp-edit-input mono', 'aria-label': 'New metadata key', placeholder: 'key' });
  const value = h('input', { type: 'text', class: 'insp-edit-input mono', 'aria-label': 'New metadata value', placeholder: 'value' });
  if (!ctx.edits.canEdit) key.disabled = value.disabled = true;
  const add = actionButton('meta:add', 'Add', 'Add metadata entry', ctx, () => {
    if (key.value.trim() !== '') ctx.send({ kind: 'setMeta', key: key.value.trim(), value: value.value });
  });
  for (const box of [key, value])
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        add.click();
      }
    });
  rows.push([key, value, add]);
  return section(
    'Metadata',
    edited.removedMeta.length ? h('p', { class: 'muted insp-edited' }, `Removed, not saved: ${edited.removedMeta.join(', ')}`) : null,
    table('Metadata properties', ['Key', 'Value', ''], rows),
  );
}

/** The doc string: shown, and set from a text area. */
function editableDoc(edited: EditedModel, ctx: EditContext): HTMLElement {
  const area = h('textarea', { class: 'insp-edit-doc', 'aria-label': 'Doc string', rows: '3' });
  area.value = edited.docString;
  if (!ctx.edits.canEdit) area.disabled = true;
  const set = actionButton('doc:set', 'Set Doc String', 'Set doc string', ctx, () => {
    if (area.value !== edited.docString) ctx.send({ kind: 'setDocString', value: area.value });
  });
  return section(edited.docStringEdited ? 'Doc string (edited, not saved)' : 'Doc string', area, h('div', { class: 'toolbar' }, set));
}

/** The main graph's tensor names, for the output and extraction boxes' suggestions. */
function tensorNames(state: InspectorState): string[] {
  const names = new Set<string>();
  for (const n of state.graph.nodes) for (const o of n.outputs) if (o) names.add(o);
  for (const v of state.graph.inputs) names.add(v.name);
  return [...names];
}

export function renderSummary(state: InspectorState, ctx?: EditContext): HTMLElement {
  const s = state.summary;
  const edited = ctx?.edits.edited;
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
  const factValue = (k: string, v: string): Node | string => {
    if (k !== 'Model version' || !ctx || !edited) return v;
    return inlineEdit({
      key: 'version',
      text: String(edited.modelVersion),
      label: `Set model version, now ${edited.modelVersion}`,
      inputLabel: 'Model version (an integer)',
      initial: String(edited.modelVersion),
      edited: edited.modelVersionEdited,
      ctx,
      step: (text) =>
        /^-?\d+$/.test(text) && Number(text) !== edited.modelVersion ? { kind: 'setModelVersion', value: Number(text) } : undefined,
    });
  };
  const header = h('dl', { class: 'insp-facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, factValue(k, v))]));

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
    ctx ? editNotes(ctx.edits) : null,
    h('p', { class: 'muted mono' }, s.path),
    !edited && s.docString ? h('p', { class: 'insp-doc' }, s.docString) : null,
    edited?.docString ? h('p', { class: `insp-doc${edited.docStringEdited ? ' insp-edited' : ''}` }, edited.docString) : null,
    header,
    s.warnings.length ? section('Warnings', h('ul', { class: 'insp-warnings' }, ...s.warnings.map((w) => h('li', {}, w)))) : null,
    section(
      'Signature',
      table(
        'Inputs and outputs',
        ctx && edited ? ['', 'Name', 'Type', 'Shape', ''] : ['', 'Name', 'Type', 'Shape'],
        ctx && edited
          ? [
              ...editableRows('input', edited.inputs, [...s.inputs, ...state.graph.valueInfo], ctx),
              ...editableRows('output', edited.outputs, [...s.outputs, ...state.graph.valueInfo], ctx),
            ]
          : [...signatureRows('input', s.inputs), ...signatureRows('output', s.outputs)],
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
    ctx && edited
      ? editableMetadata(edited, ctx)
      : s.metadataProps.length
        ? section(
            'Metadata',
            table(
              'Metadata properties',
              ['Key', 'Value'],
              s.metadataProps.map((p) => [mono(p.key), p.value.length > 500 ? `${p.value.slice(0, 500)}…` : p.value]),
            ),
          )
        : null,
    ctx && edited ? structureSection(edited, ctx, tensorNames(state)) : null,
    ctx && edited ? editableDoc(edited, ctx) : null,
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
