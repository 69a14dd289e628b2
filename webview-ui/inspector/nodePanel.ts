/** The side panel of the graph view: what the selected box is, its attributes, tensors and subgraphs. */
import type { InspectorGraph, InspectorTensorStats } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';
import type { DrawGraph } from '../lib/graphModel';
import { formatBytes, formatCount, formatNumber, formatShape, formatValueType } from '../lib/format';
import { actionButton, inlineEdit, type EditContext } from './editControls';

export interface NodePanelActions {
  /** Ask the extension for the statistics of an initializer; the answer goes to `showStats` on `target`. */
  requestStats(graphId: string, tensor: string, target: HTMLElement): void;
  openSubgraph(graph: InspectorGraph, label: string): void;
  /** Select the box producing a tensor. */
  goToTensor(tensor: string): void;
  /** The document's edits, for a node of the main graph (nodes of subgraphs are not edited). */
  edit?: EditContext;
}

function button(label: string, onClick: () => void, title?: string): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'insp-button secondary small', ...(title ? { title } : {}) }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** "Add as graph output" for a node's output that is not one yet (with the pending edits). */
function addOutputButton(name: string, index: number, ctx: EditContext): HTMLElement | null {
  const outputs = ctx.edits.edited?.outputs ?? [];
  if (outputs.some((o) => o.source === name || o.name === name)) return h('span', { class: 'muted' }, ' graph output');
  return actionButton(`node-out:${index}`, 'Add as graph output', `Add ${name} as graph output`, ctx, () =>
    ctx.send({ kind: 'addOutput', tensor: name }),
  );
}

function tensorRows(draw: DrawGraph, names: string[], actions: NodePanelActions, outputs = false): HTMLElement {
  const rows = names.map((name, index) => {
    if (!name) return h('tr', {}, h('td', { class: 'muted' }, '(optional, absent)'), h('td', {}));
    const init = draw.initializers.get(name);
    const value = draw.values.get(name);
    const constant = draw.constants.get(name);
    const typeText = init
      ? `${init.tensor.dtype} [${init.tensor.dims.join(', ')}] · ${formatBytes(init.tensor.bytes)}${init.tensor.location === 'external' ? ' · external' : ''}`
      : value
        ? formatValueType(value)
        : constant
          ? `${constant.dtype}${constant.dims[0] === -1 ? ' list' : ` [${constant.dims.join(', ')}]`} · Constant node ${draw.graph.nodes[constant.node].name || constant.node}`
          : 'type not recorded';
    const cell = h('td', {}, h('div', { class: 'mono' }, typeText));
    const measured = !init ? value?.stats : undefined;
    if (measured) {
      const bad = measured.nanCount + measured.infCount > 0;
      const range =
        measured.min === null
          ? 'no finite values'
          : `min ${formatNumber(measured.min)} · max ${formatNumber(measured.max ?? undefined)} · mean ${formatNumber(measured.mean ?? undefined)}`;
      const counts = bad ? ` · NaN ${formatCount(measured.nanCount)} · ±Inf ${formatCount(measured.infCount)}` : '';
      cell.append(h('div', { class: bad ? 'mono status-missing' : 'mono muted' }, `${range}${counts}`));
    }
    if (outputs && actions.edit && name) cell.append(addOutputButton(name, index, actions.edit) ?? '');
    if (init) {
      const out = h('div', { class: 'insp-stats', 'aria-live': 'polite' });
      cell.append(
        button('Statistics', () => actions.requestStats(init.graphId, name, out), `Read ${name} and compute min, max, mean, std`),
        out,
      );
    }
    const nameCell = draw.producer.has(name)
      ? h(
          'td',
          {},
          button(name, () => actions.goToTensor(name), 'Go to the node producing this tensor'),
        )
      : h('td', {}, h('span', { class: 'mono' }, name));
    return h('tr', {}, nameCell, cell);
  });
  return h('table', { class: 'grid insp-tensors' }, h('tbody', {}, ...rows));
}

export function renderBoxPanel(draw: DrawGraph, boxIndex: number, actions: NodePanelActions): HTMLElement {
  const box = draw.boxes[boxIndex];
  if (box.kind !== 'op') {
    const v = (box.kind === 'input' ? draw.graph.inputs : draw.graph.outputs)[box.index];
    return h(
      'div',
      {},
      h('h2', {}, box.kind === 'input' ? 'Graph input' : 'Graph output'),
      h('p', { class: 'mono' }, v.name),
      h('p', { class: 'mono' }, v.type),
      h('p', {}, 'Shape: ', h('span', { class: 'mono' }, formatShape(v.shape))),
      v.docString ? h('p', { class: 'muted' }, v.docString) : null,
    );
  }
  const node = draw.graph.nodes[box.index];
  const attributes = node.attributes.length
    ? h(
        'table',
        { class: 'grid' },
        h(
          'tbody',
          {},
          ...node.attributes.map((a) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono' }, a.name),
              h('td', {}, h('span', { class: 'mono insp-attr' }, a.text), h('div', { class: 'muted' }, a.type)),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, 'No attributes.');
  const subgraphs = node.subgraphs.flatMap((s) =>
    s.graphs.map((g, k) => {
      const label = `${node.name || node.opType}.${s.attribute}${s.graphs.length > 1 ? `[${k}]` : ''}`;
      return h(
        'li',
        {},
        button(`Open subgraph ${s.attribute}${s.graphs.length > 1 ? `[${k}]` : ''}`, () => actions.openSubgraph(g, label)),
        h('span', { class: 'muted' }, ` ${formatCount(g.nodes.length)} nodes`),
      );
    }),
  );
  return h(
    'div',
    {},
    h('h2', {}, node.opType),
    h('p', { class: 'muted' }, node.domain),
    nodeName(node.name, actions.edit),
    node.docString ? h('p', { class: 'insp-doc' }, node.docString) : null,
    subgraphs.length ? h('ul', { class: 'insp-plain' }, ...subgraphs) : null,
    h('h3', {}, 'Attributes'),
    attributes,
    h('h3', {}, `Inputs (${node.inputs.length})`),
    tensorRows(draw, node.inputs, actions),
    h('h3', {}, `Outputs (${node.outputs.length})`),
    tensorRows(draw, node.outputs, actions, true),
  );
}

/** The node's name; with edits, a button that renames it (an unnamed node cannot be found by name, so it stays). */
function nodeName(name: string, ctx: EditContext | undefined): HTMLElement {
  if (!ctx?.edits.edited || name === '') return h('p', { class: 'mono insp-break' }, name || '(unnamed node)');
  const now = ctx.edits.edited.nodes.find((n) => n.source === name)?.name ?? name;
  const renamed = now !== name;
  return h(
    'p',
    { class: 'insp-break' },
    inlineEdit({
      key: 'node:name',
      text: now,
      label: `Rename node ${now}`,
      inputLabel: `New name for node ${now}`,
      initial: now,
      edited: renamed,
      ctx,
      step: (v) => (v === '' || v === now ? undefined : { kind: 'renameNode', from: now, to: v }),
    }),
    renamed ? h('span', { class: 'muted' }, ` (was ${name})`) : null,
  );
}

export function showStats(target: HTMLElement, stats: InspectorTensorStats): void {
  const facts: [string, string][] = [
    ['Shape', `[${stats.dims.join(', ')}] · ${formatCount(stats.count)} elements`],
    ['Type', stats.dtype],
  ];
  if (stats.supported && stats.min !== undefined) {
    facts.push(
      ['Min', formatNumber(stats.min)],
      ['Max', formatNumber(stats.max)],
      ['Mean', formatNumber(stats.mean)],
      ['Std', formatNumber(stats.std)],
    );
  }
  if (stats.nanCount) facts.push(['NaN', formatCount(stats.nanCount)]);
  if (stats.infCount) facts.push(['±Inf', formatCount(stats.infCount)]);
  if (stats.zeroCount !== undefined) facts.push(['Zeros', formatCount(stats.zeroCount)]);
  target.replaceChildren(
    h(
      'div',
      {},
      h('dl', { class: 'insp-facts small' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { class: 'mono' }, v)])),
      stats.reason ? h('p', { class: 'muted' }, stats.reason) : null,
      stats.first.length
        ? h(
            'p',
            { class: 'mono insp-break' },
            `First: ${stats.first.map((x) => (typeof x === 'number' ? formatNumber(x) : String(x))).join(', ')}${stats.count > stats.first.length ? ', …' : ''}`,
          )
        : null,
    ),
  );
}

export function showStatsError(target: HTMLElement, message: string): void {
  target.replaceChildren(h('p', { class: 'status-missing' }, message));
}
