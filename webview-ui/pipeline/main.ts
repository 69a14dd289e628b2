import type { PipelineFromWebview, PipelineStageView, PipelineToWebview, PipelineView } from '../../src/shared/pipelineProtocol';
import codiconCss from '@vscode/codicons/dist/codicon.css';
import codiconFont from '@vscode/codicons/dist/codicon.ttf';
import { connectHost } from '../shared/vscodeApi';
import { h } from '../shared/dom';
import { drawPipeline, edgeSvgPath, type PipelineDrawing } from '../lib/pipelineGraph';
import { moveInGraph, type GraphMove } from '../lib/graphNavigation';
import { stageLine } from '../lib/stageLine';
import styles from './pipeline.css';

/** The pipeline app: the stage graph of dvc.yaml, each stage's state and why, Run Pipeline / Run Stage. */

// The page's CSP admits styles with the script's nonce only; the codicon font is a file beside this bundle.
const script = document.currentScript as HTMLScriptElement | null;
const fontUrl = new URL(codiconFont, script?.src ?? document.baseURI).toString();
const style = h('style', {}, codiconCss.replace(/url\("?\.\/codicon\.ttf[^)"]*"?\)/, `url("${fontUrl}")`) + styles);
style.nonce = script?.nonce ?? '';
document.head.append(style);

type Saved = { selected?: string };
const root = document.getElementById('app') as HTMLElement;
const host = connectHost<PipelineToWebview, PipelineFromWebview, Saved>(onMessage);
let selected = host.getState()?.selected;
let view: PipelineView | undefined;
let drawing: PipelineDrawing | undefined;
let drawingKey = '';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag: string, attrs: Record<string, string>): SVGElement => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};
const icon = (name: string, spin = false): HTMLElement =>
  h('span', { class: `codicon codicon-${name}${spin ? ' codicon-modifier-spin' : ''}`, 'aria-hidden': 'true' });

function stageIcon(s: PipelineStageView): HTMLElement {
  if (s.activity === 'running') return icon('loading', true);
  if (s.activity === 'queued') return icon('clock');
  if (s.activity === 'failed') return icon('error');
  return icon({ fresh: 'pass-filled', stale: 'warning', never: 'circle-outline', frozen: 'lock' }[s.state]);
}

function onMessage(m: PipelineToWebview): void {
  if (m.type !== 'state') return;
  view = m.view;
  if (selected && !view.stages.some((s) => s.name === selected)) selected = undefined;
  render();
}

function select(name: string | undefined, focus = false): void {
  selected = name;
  host.setState({ selected });
  render();
  if (focus && name) (root.querySelector(`[data-stage="${CSS.escape(name)}"]`) as HTMLElement | null)?.focus();
}

function summary(v: PipelineView): string {
  const count = (st: PipelineStageView['state']) => v.stages.filter((s) => s.state === st).length;
  const parts = [
    count('stale') && `${count('stale')} stale`,
    count('never') && `${count('never')} never run`,
    count('fresh') && `${count('fresh')} fresh`,
    count('frozen') && `${count('frozen')} frozen`,
  ].filter(Boolean);
  const runner = v.runner === 'dvc' ? 'runs with dvc repro' : 'runs with ML Workbench (DVC not installed)';
  return `${parts.join(' · ') || 'no stages'} — ${runner} · status in ${v.statusMs} ms`;
}

function button(label: string, iconName: string, props: Record<string, string | undefined>, onClick: () => void, secondary = false) {
  const b = h('button', { class: `pl-button${secondary ? ' secondary' : ''}`, type: 'button', ...props }, icon(iconName), label);
  b.addEventListener('click', onClick);
  return b;
}

function toolbar(v: PipelineView): HTMLElement {
  const running = v.running !== null;
  const why = !v.trusted ? 'Running is disabled in Restricted Mode: trust this workspace to run the pipeline.' : undefined;
  const runAll = button('Run Pipeline', 'run-all', { disabled: running || !v.trusted || !!v.error ? '' : undefined, title: why }, () =>
    host.post({ type: 'run' }),
  );
  const stage = selected;
  const runStage = button(
    'Run Stage',
    'play',
    {
      disabled: running || !v.trusted || !stage ? '' : undefined,
      title: why ?? (stage ? `Run ${stage} and the stale stages it depends on` : 'Select a stage first'),
    },
    () => stage && host.post({ type: 'run', stage }),
    true,
  );
  const bar = h(
    'header',
    { class: 'pl-toolbar' },
    h('h1', {}, `Pipeline: ${v.folder}`),
    h('span', { class: 'pl-summary' }, summary(v)),
    runAll,
    runStage,
  );
  if (running) bar.append(button('Cancel', 'debug-stop', {}, () => host.post({ type: 'cancel' }), true));
  return bar;
}

function graph(v: PipelineView): HTMLElement {
  const key = JSON.stringify([v.stages.map((s) => [s.name, s.group]), v.edges.map((e) => [e.from, e.to])]);
  if (!drawing || key !== drawingKey) {
    drawing = drawPipeline(v.stages, v.edges);
    drawingKey = key;
  }
  const d = drawing;
  const box = h('div', { class: 'pl-graph', role: 'group', 'aria-label': 'Stage graph' });
  box.style.width = `${d.width}px`;
  box.style.height = `${d.height}px`;
  const s = svg('svg', { width: String(d.width), height: String(d.height), 'aria-hidden': 'true' });
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: '9',
    refY: '5',
    markerWidth: '7',
    markerHeight: '7',
    orient: 'auto',
  });
  marker.append(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'pl-arrow' }));
  defs.append(marker);
  s.append(defs);
  for (const g of d.groups) {
    const frame = svg('g', { class: 'pl-group' });
    frame.append(svg('rect', { x: String(g.x), y: String(g.y), width: String(g.w), height: String(g.h), rx: '6' }));
    const label = svg('text', { x: String(g.x + 8), y: String(g.y + 14) });
    label.textContent = `${g.group} (${g.members.length})`;
    frame.append(label);
    s.append(frame);
  }
  for (const e of d.edges) {
    const hot = selected !== undefined && (e.from === selected || e.to === selected);
    const p = svg('path', { d: edgeSvgPath(e.points), class: `pl-edge${hot ? ' hot' : ''}`, 'marker-end': 'url(#arrow)' });
    const title = svg('title', {});
    title.textContent = `${e.from} → ${e.to}: ${e.paths.join(', ')}`;
    p.append(title);
    s.append(p);
  }
  box.append(s);
  d.boxes.forEach((b, i) => {
    const st = v.stages[i];
    const line = stageLine(st);
    const el = h(
      'button',
      {
        type: 'button',
        class: `pl-stage state-${st.state}${st.activity ? ` activity-${st.activity}` : ''}`,
        'data-stage': st.name,
        'aria-pressed': String(st.name === selected),
        'aria-label': `${st.name}: ${line}`,
        title: st.reasons.length ? `${st.name}\n${st.reasons.join('\n')}` : st.name,
      },
      stageIcon(st),
      h('span', { class: 'pl-text' }, h('span', { class: 'pl-name' }, st.name), h('span', { class: 'pl-state' }, line)),
    );
    el.style.left = `${b.x}px`;
    el.style.top = `${b.y}px`;
    el.style.width = `${b.w}px`;
    el.style.height = `${b.h}px`;
    el.addEventListener('click', () => select(st.name, true));
    el.addEventListener('keydown', (ev) => {
      const move = ({ ArrowUp: 'up', ArrowDown: 'down', ArrowLeft: 'left', ArrowRight: 'right' } as Record<string, GraphMove>)[ev.key];
      if (move) {
        ev.preventDefault();
        const to = moveInGraph(d.layout, { sources: d.sources, targets: d.targets }, i, move);
        select(v.stages[to].name, true);
      } else if (ev.key === 'Escape') select(undefined);
    });
    box.append(el);
  });
  return h('div', { class: 'pl-graph-scroll' }, box);
}

function fileLink(path: string): HTMLElement {
  const b = h('button', { class: 'pl-link', type: 'button', title: `Open ${path}` }, path);
  b.addEventListener('click', () => host.post({ type: 'openFile', path }));
  return b;
}

function details(v: PipelineView): HTMLElement {
  const aside = h('aside', { class: 'pl-details', 'aria-label': 'Stage details', 'aria-live': 'polite' });
  const st = v.stages.find((s) => s.name === selected);
  if (!st) {
    aside.append(
      h('p', { class: 'muted' }, v.stages.length ? 'Select a stage to see its command, files and why it is stale.' : ''),
      h('p', { class: 'pl-keys' }, 'Keys: Tab to a stage, arrow keys move along the graph, Enter selects, Escape clears.'),
    );
    return aside;
  }
  aside.append(h('h2', {}, stageIcon(st), st.name), h('div', { class: 'pl-state' }, stageLine(st)));
  if (st.group) aside.append(h('div', { class: 'muted' }, `expanded from ${st.group}`));
  if (st.desc) aside.append(h('p', {}, st.desc));
  if (st.state === 'stale' && st.reasons.length)
    aside.append(h('h3', {}, 'Why stale'), h('ul', { class: 'pl-reasons' }, ...st.reasons.map((r) => h('li', {}, r))));
  aside.append(h('h3', {}, 'Command'), h('code', { class: 'pl-cmd' }, st.cmd));
  if (st.deps.length) aside.append(h('h3', {}, 'Depends on'), h('ul', {}, ...st.deps.map((p) => h('li', {}, fileLink(p)))));
  if (st.outs.length)
    aside.append(
      h('h3', {}, 'Outputs'),
      h('ul', {}, ...st.outs.map((o) => h('li', {}, fileLink(o.path), o.kind === 'out' ? '' : ` (${o.kind})`))),
    );
  const inputs = v.edges.filter((e) => e.to === st.name);
  if (inputs.length)
    aside.append(h('h3', {}, 'From stages'), h('ul', {}, ...inputs.map((e) => h('li', {}, `${e.from}: ${e.paths.join(', ')}`))));
  if (st.runId) {
    const id = st.runId;
    const open = h('button', { class: 'pl-link', type: 'button' }, `Open run ${id}`);
    open.addEventListener('click', () => host.post({ type: 'openRun', runId: id }));
    aside.append(h('h3', {}, 'Last run from this view'), open);
  }
  return aside;
}

function render(): void {
  const v = view;
  if (!v) return;
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.stage;
  const scroll = root.querySelector('.pl-graph-scroll');
  const [sx, sy] = [scroll?.scrollLeft ?? 0, scroll?.scrollTop ?? 0];
  const page = h('div', { class: 'pl-root' }, toolbar(v));
  if (v.error) page.append(h('div', { class: 'pl-banner error', role: 'alert' }, v.error));
  if (!v.trusted)
    page.append(
      h('div', { class: 'pl-banner' }, 'Restricted Mode: the status is shown, running is disabled until you trust this workspace.'),
    );
  if (v.lastError && !v.running) page.append(h('div', { class: 'pl-banner error', role: 'status' }, v.lastError));
  page.append(h('div', { class: 'pl-body' }, graph(v), details(v)));
  root.replaceChildren(page);
  root.removeAttribute('aria-busy');
  const next = root.querySelector('.pl-graph-scroll');
  if (next) {
    next.scrollLeft = sx;
    next.scrollTop = sy;
  }
  if (focused) (root.querySelector(`[data-stage="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}

host.post({ type: 'ready' });
