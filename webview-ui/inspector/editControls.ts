/**
 * The Summary tab's edit controls: a value shown as a button that turns into a text box (Enter sets it,
 * Escape or leaving the box keeps the old value), the notes on pending edits, and focus kept on the control
 * that made an edit when the summary is drawn again.
 */
import type { InspectorEdits, InspectorEditStep } from '../../src/shared/inspectorProtocol';
import { h } from '../shared/dom';

export interface EditContext {
  edits: InspectorEdits;
  send(step: InspectorEditStep): void;
}

/** The control to focus once the summary is drawn again: the one that made the last edit. */
let focusKey: string | undefined;

export function restoreEditFocus(root: HTMLElement): void {
  if (focusKey === undefined) return;
  const target = [...root.querySelectorAll<HTMLElement>('[data-edit-key]')].find((e) => e.dataset.editKey === focusKey);
  target?.focus();
}

/** Remembers the focused edit control before the summary is replaced (a change from elsewhere, undo, reload). */
export function rememberEditFocus(): void {
  const active = document.activeElement as HTMLElement | null;
  focusKey = active?.dataset?.editKey;
}

export interface InlineEditOptions {
  /** Stable across redraws (position, not name), to put the focus back. */
  key: string;
  text: string;
  /** The button's accessible name, e.g. "Rename input x". */
  label: string;
  inputLabel: string;
  initial: string;
  edited: boolean;
  ctx: EditContext;
  placeholder?: string;
  /** The edit for the text typed, or undefined to ignore it (empty, unchanged). */
  step(value: string): InspectorEditStep | undefined;
}

/** A value that becomes a text box on click, Enter or F2. */
export function inlineEdit(o: InlineEditOptions): HTMLElement {
  const disabled = !o.ctx.edits.canEdit;
  const button = h(
    'button',
    {
      type: 'button',
      class: `insp-edit-value mono${o.edited ? ' insp-edited' : ''}`,
      'aria-label': o.edited ? `${o.label} (edited, not saved)` : o.label,
      title: disabled ? (o.ctx.edits.reason ?? '') : `${o.label}${o.edited ? ' (edited, not saved)' : ''}`,
      'data-edit-key': o.key,
      ...(disabled ? { disabled: '' } : {}),
    },
    o.text,
  );
  button.addEventListener('click', () => {
    const input = h('input', {
      type: 'text',
      class: 'insp-edit-input mono',
      'aria-label': o.inputLabel,
      'data-edit-key': `${o.key}:input`,
      ...(o.placeholder ? { placeholder: o.placeholder } : {}),
    });
    input.value = o.initial;
    input.size = Math.max(6, Math.min(40, o.initial.length + 2));
    let done = false;
    const close = (commit: boolean): void => {
      if (done) return;
      done = true;
      const step = commit ? o.step(input.value.trim()) : undefined;
      focusKey = o.key;
      input.replaceWith(button);
      button.focus();
      if (step) o.ctx.send(step);
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        close(true);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close(false);
      }
    });
    input.addEventListener('blur', () => close(false));
    button.replaceWith(input);
    input.focus();
    input.select();
  });
  button.addEventListener('keydown', (e) => {
    if (e.key === 'F2') {
      e.preventDefault();
      button.click();
    }
  });
  return button;
}

/** A small action button (Remove, Add, Set) that keeps the focus key. */
export function actionButton(key: string, text: string, label: string, ctx: EditContext, onClick: () => void): HTMLButtonElement {
  const disabled = !ctx.edits.canEdit;
  const button = h(
    'button',
    {
      type: 'button',
      class: 'insp-button secondary small',
      'aria-label': label,
      'data-edit-key': key,
      ...(disabled ? { disabled: '', title: ctx.edits.reason ?? '' } : {}),
    },
    text,
  );
  button.addEventListener('click', () => {
    focusKey = key;
    onClick();
  });
  return button;
}

/** A dimension typed by the user: digits are a size, anything else a symbolic name. */
export function parseDim(text: string): number | string | undefined {
  if (text === '' || text === '?') return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

/** The line above the summary: pending edits and how to save or undo them, the last error, or why editing is off. */
export function editNotes(edits: InspectorEdits): HTMLElement {
  const notes = h('div', { class: 'insp-edit-notes' });
  if (!edits.canEdit) notes.append(h('p', { class: 'insp-edit-restricted', role: 'note' }, edits.reason ?? 'Editing is off.'));
  const status = h('p', { class: 'insp-edit-status', role: 'status' });
  if (edits.pending > 0) {
    status.classList.add('pending');
    status.textContent = `${edits.pending} ${edits.pending === 1 ? 'edit' : 'edits'}, not saved. Save (Ctrl+S) writes ${edits.pending === 1 ? 'it' : 'them'} to the file; Undo (Ctrl+Z) takes the last one back; Revert File drops them. The graph shows the file as saved.`;
  }
  notes.append(status);
  const error = h('p', { class: 'insp-edit-error', role: 'alert' });
  if (edits.error) error.textContent = edits.error;
  notes.append(error);
  return notes;
}
