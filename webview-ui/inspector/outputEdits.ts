/**
 * The Summary tab's structural edits: a Remove button on each graph output, and a section that adds a tensor as
 * a graph output or extracts the subgraph between chosen tensors (as onnx.utils.extract_model does). Node
 * renames and "Add as graph output" on a node's tensors live in the graph view's node panel.
 */
import type { EditedModel, EditedTensor } from '../../src/core/onnx/edit/editSteps';
import { h } from '../shared/dom';
import { actionButton, type EditContext } from './editControls';

export function removeOutputButton(t: EditedTensor, i: number, ctx: EditContext): HTMLElement {
  return actionButton(`out:${i}:remove`, 'Remove', `Remove output ${t.name}`, ctx, () =>
    ctx.send({ kind: 'removeOutput', output: t.name }),
  );
}

function textBox(label: string, placeholder: string, ctx: EditContext, initial = ''): HTMLInputElement {
  const box = h('input', {
    type: 'text',
    class: 'insp-edit-input mono',
    'aria-label': label,
    placeholder,
    'data-edit-key': `box:${label}`,
  });
  box.value = initial;
  if (!ctx.edits.canEdit) box.disabled = true;
  return box;
}

/** Enter in any of the boxes clicks the button. */
function submitOnEnter(button: HTMLButtonElement, ...boxes: HTMLInputElement[]): void {
  for (const box of boxes)
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        button.click();
      }
    });
}

const names = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Adding outputs and extracting a subgraph, with what is pending. `tensors` lists every tensor name the page knows. */
export function structureSection(edited: EditedModel, ctx: EditContext, tensors: string[]): HTMLElement {
  const listId = 'insp-tensor-names';
  const datalist = h('datalist', { id: listId }, ...tensors.slice(0, 5000).map((n) => h('option', { value: n })));
  const tensor = textBox('Tensor to add as a graph output', 'tensor name', ctx);
  tensor.setAttribute('list', listId);
  const add = actionButton('structure:add', 'Add Output', 'Add graph output', ctx, () => {
    const name = tensor.value.trim();
    if (name !== '') ctx.send({ kind: 'addOutput', tensor: name });
  });
  submitOnEnter(add, tensor);

  const from = textBox('Extract from tensors', 'inputs, comma-separated', ctx, edited.inputs.map((t) => t.name).join(', '));
  const to = textBox('Extract to tensors', 'outputs, comma-separated', ctx, edited.outputs.map((t) => t.name).join(', '));
  for (const box of [from, to]) box.setAttribute('list', listId);
  const extract = actionButton('structure:extract', 'Extract Subgraph', 'Extract subgraph', ctx, () => {
    const outputs = names(to.value);
    if (outputs.length) ctx.send({ kind: 'extract', inputs: names(from.value), outputs });
  });
  submitOnEnter(extract, from, to);

  const pending: (HTMLElement | null)[] = [
    edited.removedOutputs.length
      ? h('p', { class: 'muted insp-edited' }, `Outputs removed, not saved: ${edited.removedOutputs.join(', ')}`)
      : null,
    edited.extract
      ? h(
          'p',
          { class: 'muted insp-edited' },
          `Extraction, not saved: from ${edited.extract.inputs.join(', ') || '(initializers only)'} to ${edited.extract.outputs.join(', ')}`,
        )
      : null,
  ];
  return h(
    'section',
    { class: 'insp-section' },
    h('h2', {}, 'Graph outputs and subgraph'),
    ...pending,
    datalist,
    h('div', { class: 'toolbar' }, tensor, add),
    h('p', { class: 'muted' }, 'Extract keeps only the nodes between these tensors; the rest of the graph is dropped on Save.'),
    h('div', { class: 'toolbar' }, from, to, extract),
  );
}
