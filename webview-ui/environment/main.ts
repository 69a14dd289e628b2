import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { EnvironmentFromWebview, EnvironmentReport, EnvironmentToWebview } from '../../src/shared/protocol';
import { connectHost } from '../shared/vscodeApi';
import { el, h } from '../shared/dom';

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<EnvironmentToWebview, EnvironmentFromWebview>(onMessage);

function button(label: string, message: EnvironmentFromWebview, secondary = false): HTMLElement {
  const b = el('vscode-button', secondary ? { secondary: '' } : {}, label);
  b.addEventListener('click', () => host.post(message));
  return b;
}

function render(report: EnvironmentReport, trusted: boolean): void {
  const problems = report.checks.filter((c) => c.status !== 'ok').length;
  const rows = report.checks.map((c) =>
    h(
      'tr',
      { 'data-check': c.id },
      h('td', {}, c.label),
      h('td', {}, h('span', { class: `status status-${c.status}` }, c.status)),
      h(
        'td',
        {},
        h('span', { class: 'mono' }, c.detail),
        c.fix ? h('div', { class: 'muted' }, `Fix: ${c.fix}`) : null,
        c.action ? h('div', {}, button(c.action.label, { type: c.action.id }, true)) : null,
      ),
    ),
  );
  root.replaceChildren(
    h('h1', {}, 'ML Workbench environment'),
    h(
      'p',
      { class: 'muted' },
      `${report.checks.length} checks, ${problems === 0 ? 'no problems' : `${problems} need attention`} · ${new Date(report.generatedAt).toLocaleString()}`,
    ),
    ...(trusted
      ? []
      : [
          h(
            'div',
            { class: 'banner', role: 'status' },
            'Restricted Mode: running, building and serving are disabled until you trust this workspace.',
          ),
        ]),
    h(
      'div',
      { class: 'toolbar' },
      button('Check Again', { type: 'recheck' }),
      button('Copy Report', { type: 'copyReport' }, true),
      button('Open Settings', { type: 'openSettings', query: 'mlWorkbench' }, true),
    ),
    h(
      'table',
      { class: 'grid', 'aria-label': 'Environment checks' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Component'), h('th', {}, 'Status'), h('th', {}, 'Detail'))),
      h('tbody', {}, ...rows),
    ),
  );
  root.setAttribute('aria-busy', 'false');
}

function onMessage(message: EnvironmentToWebview): void {
  switch (message.type) {
    case 'state':
      render(message.report, message.trusted);
      break;
    case 'busy':
      root.setAttribute('aria-busy', 'true');
      break;
  }
}

host.post({ type: 'ready' });
