/** The weights inspector webview: a safetensors file's or a PyTorch checkpoint's tensors, dtypes, shapes and totals. */
import type { WeightsFromWebview, WeightsToWebview } from '../../src/shared/weightsProtocol';
import type { WeightsFileSummary } from '../../src/core/weights/weightsSummary';
import { h } from '../shared/dom';
import { connectHost } from '../shared/vscodeApi';
import { formatBytes, formatCount } from '../lib/format';

/** Rows drawn at first; the rest on demand (a large checkpoint has tens of thousands of tensors). */
const PAGE = 2000;

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<WeightsToWebview, WeightsFromWebview, Record<string, never>>(onMessage);
const title = h('span', { class: 'insp-title' });
const notice = h('span', { class: 'muted', 'aria-live': 'polite' });
const body = h('div', { class: 'insp-pane' });

const mono = (text: string): HTMLElement => h('span', { class: 'mono' }, text);

function section(heading: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'insp-section' }, h('h2', {}, heading), ...content);
}

function table(label: string, headers: string[], rows: (Node | string)[][], numeric: number[]): HTMLTableElement {
  return h(
    'table',
    { class: 'grid', 'aria-label': label },
    h('thead', {}, h('tr', {}, ...headers.map((t, i) => h('th', numeric.includes(i) ? { class: 'num' } : {}, t)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', numeric.includes(i) ? { class: 'num' } : {}, c))))),
  );
}

function tensorRows(s: WeightsFileSummary, filter: string, limit: number): { rows: (Node | string)[][]; matched: number } {
  const needle = filter.toLowerCase();
  const matching = needle ? s.tensors.filter((t) => t.name.toLowerCase().includes(needle)) : s.tensors;
  return {
    matched: matching.length,
    rows: matching
      .slice(0, limit)
      .map((t) => [mono(t.name), mono(t.dtype), mono(`[${t.shape.join(', ')}]`), formatCount(t.elements), formatBytes(t.bytes)]),
  };
}

function renderSummary(s: WeightsFileSummary, loadMs: number): HTMLElement {
  const facts: [string, string][] = [
    ['Format', s.format === 'safetensors' ? 'safetensors' : 'PyTorch checkpoint (torch.save)'],
    ['File size', formatBytes(s.fileSize)],
    ['Tensors', formatCount(s.tensors.length)],
    ['Parameters', `${formatCount(s.parameterCount)} (${formatBytes(s.parameterBytes)})`],
    ['Read', `${loadMs.toFixed(0)} ms (tensor data not loaded)`],
  ];
  const filter = h('input', { type: 'search', placeholder: 'Filter tensors by name', 'aria-label': 'Filter tensors by name' });
  const tensorsHolder = h('div', {});
  const more = h('button', { type: 'button', class: 'insp-button secondary' }, 'Show all');
  let limit = PAGE;
  const draw = (): void => {
    const { rows, matched } = tensorRows(s, filter.value, limit);
    tensorsHolder.replaceChildren(
      table('Tensors', ['Name', 'Type', 'Shape', 'Elements', 'Bytes'], rows, [3, 4]),
      h('p', { class: 'muted' }, `${formatCount(Math.min(matched, limit))} of ${formatCount(matched)} tensors shown.`),
    );
    more.hidden = matched <= limit;
  };
  filter.addEventListener('input', draw);
  more.addEventListener('click', () => {
    limit = Number.MAX_SAFE_INTEGER;
    draw();
  });
  draw();
  return h(
    'div',
    { class: 'insp-summary' },
    h('p', { class: 'muted mono' }, s.path),
    h('dl', { class: 'insp-facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    s.warnings.length ? section('Warnings', h('ul', { class: 'insp-warnings' }, ...s.warnings.map((w) => h('li', {}, w)))) : null,
    section(
      'Parameters by type',
      s.byDtype.length
        ? table(
            'Parameters by data type',
            ['Type', 'Tensors', 'Elements', 'Bytes'],
            s.byDtype.map((d) => [mono(d.dtype), formatCount(d.tensors), formatCount(d.elements), formatBytes(d.bytes)]),
            [1, 2, 3],
          )
        : h('p', { class: 'muted' }, 'No tensors.'),
    ),
    section(`Tensors (${formatCount(s.tensors.length)})`, h('div', { class: 'toolbar' }, filter, more), tensorsHolder),
    s.metadata.length
      ? section(
          'Metadata',
          table(
            'Metadata',
            ['Key', 'Value'],
            s.metadata.map((m) => [mono(m.key), m.value.length > 500 ? `${m.value.slice(0, 500)}…` : m.value]),
            [],
          ),
        )
      : null,
    s.globals.length
      ? section(
          'Other classes named in the pickle',
          h('p', { class: 'muted' }, 'Recorded by name only: nothing in the file was imported or run.'),
          h('ul', {}, ...s.globals.map((g) => h('li', {}, mono(g)))),
        )
      : null,
  );
}

function renderError(fileName: string, message: string): HTMLElement {
  const reopen = h('button', { type: 'button', class: 'insp-button' }, 'Reopen With…');
  reopen.addEventListener('click', () => host.post({ type: 'reopenWith' }));
  const retry = h('button', { type: 'button', class: 'insp-button secondary' }, 'Try Again');
  retry.addEventListener('click', () => host.post({ type: 'reload' }));
  return h(
    'div',
    { class: 'insp-error', role: 'alert' },
    h('h1', {}, `${fileName} cannot be summarised`),
    h('p', { class: 'mono' }, message),
    h('div', { class: 'toolbar' }, reopen, retry),
  );
}

function onMessage(message: WeightsToWebview): void {
  switch (message.type) {
    case 'loading':
      root.setAttribute('aria-busy', 'true');
      title.textContent = message.fileName;
      notice.textContent = 'Reading…';
      break;
    case 'summary':
      title.textContent = message.fileName;
      notice.textContent = message.reload ? `Reloaded ${new Date().toLocaleTimeString()}` : '';
      body.replaceChildren(renderSummary(message.summary, message.loadMs));
      root.setAttribute('aria-busy', 'false');
      break;
    case 'loadError':
      title.textContent = message.fileName;
      notice.textContent = '';
      body.replaceChildren(renderError(message.fileName, message.message));
      root.setAttribute('aria-busy', 'false');
      break;
  }
}

root.classList.add('insp-root');
root.replaceChildren(h('header', { class: 'insp-header' }, title, notice), body);
host.post({ type: 'ready' });
