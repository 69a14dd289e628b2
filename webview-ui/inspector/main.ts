/** The ONNX inspector webview: a Summary tab and a Graph tab over one model sent by the extension. */
import type {
  InspectorEdits,
  InspectorEditStep,
  InspectorFromWebview,
  InspectorState,
  InspectorToWebview,
} from '../../src/shared/inspectorProtocol';
import { mergeMeasured } from '../lib/mergeMeasured';
import { h } from '../shared/dom';
import { connectHost } from '../shared/vscodeApi';
import { GraphView } from './graphView';
import { rememberEditFocus, restoreEditFocus } from './editControls';
import { renderLoadError, renderSummary } from './summaryView';

type Tab = 'summary' | 'graph';
interface SavedState {
  tab: Tab;
}

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<InspectorToWebview, InspectorFromWebview, SavedState>(onMessage);
let tab: Tab = host.getState()?.tab ?? 'summary';
let graphView: GraphView | undefined;
let graphShown: InspectorState['graph'] | undefined;

const summaryPane = h('div', { id: 'pane-summary', role: 'tabpanel', 'aria-labelledby': 'tab-summary', class: 'insp-pane' });
const graphPane = h('div', { id: 'pane-graph', role: 'tabpanel', 'aria-labelledby': 'tab-graph', class: 'insp-pane insp-pane-graph' });
const tabs: Record<Tab, HTMLButtonElement> = {
  summary: h('button', { type: 'button', role: 'tab', id: 'tab-summary', 'aria-controls': 'pane-summary', class: 'insp-tab' }, 'Summary'),
  graph: h('button', { type: 'button', role: 'tab', id: 'tab-graph', 'aria-controls': 'pane-graph', class: 'insp-tab' }, 'Graph'),
};
const title = h('span', { class: 'insp-title' });
const notice = h('span', { class: 'muted', 'aria-live': 'polite' });

let current: InspectorState | undefined;
let edits: InspectorEdits | undefined;

/** The summary with the document's pending edits, focus kept on the edit control in use. */
function drawSummary(state: InspectorState): void {
  rememberEditFocus();
  const ctx = edits && { edits, send };
  summaryPane.replaceChildren(renderSummary(state, ctx));
  restoreEditFocus(summaryPane);
  graphView?.setEdits(ctx);
}
const send = (step: InspectorEditStep): void => host.post({ type: 'edit', step });
/** The layout worker bundle, named by the extension in the page (see webviewHost.ts). */
const layoutWorkerUrl =
  document.querySelector<HTMLMetaElement>('meta[name="mlw-worker"][data-worker="inspectorLayout.worker"]')?.content || undefined;

function selectTab(next: Tab, focus = false): void {
  tab = next;
  host.setState({ tab });
  for (const [name, button] of Object.entries(tabs) as [Tab, HTMLButtonElement][]) {
    const on = name === tab;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    if (on && focus) button.focus();
  }
  summaryPane.hidden = tab !== 'summary';
  graphPane.hidden = tab !== 'graph';
  if (tab === 'graph') ensureGraph();
}

/** The graph is laid out the first time its tab is shown (and again after a reload). */
function ensureGraph(): void {
  if (!current) return;
  if (!graphView) {
    graphView = new GraphView(
      (requestId, graphId, tensor) => host.post({ type: 'requestTensorStats', requestId, graphId, tensor }),
      layoutWorkerUrl,
    );
    graphPane.replaceChildren(graphView.element);
    graphView.setEdits(edits && { edits, send });
  }
  if (graphShown !== current.graph) {
    graphShown = current.graph;
    graphView.setModel(current.graph);
  }
}

function shell(): void {
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Inspector views', class: 'insp-tabs' }, tabs.summary, tabs.graph);
  tablist.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft' || e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      selectTab(e.key === 'ArrowRight' || e.key === 'End' ? 'graph' : 'summary', true);
    }
  });
  tabs.summary.addEventListener('click', () => selectTab('summary'));
  tabs.graph.addEventListener('click', () => selectTab('graph'));
  root.classList.add('insp-root');
  root.replaceChildren(h('header', { class: 'insp-header' }, title, tablist, notice), summaryPane, graphPane);
}

function onMessage(message: InspectorToWebview): void {
  switch (message.type) {
    case 'loading':
      root.setAttribute('aria-busy', 'true');
      title.textContent = message.fileName;
      notice.textContent = 'Reading…';
      break;
    case 'state': {
      current = message.state;
      title.textContent = current.fileName;
      notice.textContent = message.reload ? `Reloaded ${new Date().toLocaleTimeString()}` : '';
      drawSummary(current);
      graphShown = undefined;
      selectTab(tab);
      root.setAttribute('aria-busy', 'false');
      break;
    }
    case 'loadError':
      current = undefined;
      graphShown = undefined;
      title.textContent = message.error.fileName;
      notice.textContent = '';
      summaryPane.replaceChildren(
        renderLoadError(
          message.error,
          () => host.post({ type: 'reopenWith' }),
          () => host.post({ type: 'reload' }),
        ),
      );
      graphPane.replaceChildren(h('p', { class: 'muted' }, 'No graph: the file could not be read.'));
      graphView?.dispose();
      graphView = undefined;
      selectTab('summary');
      root.setAttribute('aria-busy', 'false');
      break;
    case 'tensorStats':
      graphView?.onStats(message.requestId, message.stats);
      break;
    case 'tensorStatsError':
      graphView?.onStatsError(message.requestId, message.message);
      break;
    case 'edits':
      edits = message.edits;
      if (current) drawSummary(current);
      break;
    case 'measuredValues':
      if (current && message.graphId === current.graph.id) {
        const shown = graphShown === current.graph;
        current = { ...current, graph: mergeMeasured(current.graph, message.values) };
        notice.textContent = `Measured ${message.values.length} tensor shapes`;
        // A graph on screen keeps its layout and view: only its labels change.
        if (shown && graphView) {
          graphShown = current.graph;
          graphView.addValues(message.values);
        } else graphShown = undefined;
        if (tab === 'graph') ensureGraph();
      }
      break;
  }
}

shell();
selectTab(tab);
host.post({ type: 'ready' });
