import type { RunsFromWebview, RunsToWebview } from '../../src/shared/runsProtocol';
import { connectHost } from '../shared/vscodeApi';
import { h } from '../shared/dom';
import { resetColors } from './charts';
import { defaultViewState, toRaw, type ViewState } from './common';
import { CompareView } from './compareView';
import { DashboardView } from './dashboardView';
import { RegistryView } from './registryView';
import styles from './runs.css';

/** The runs app: the dashboard of one run, or the comparison of several. */

// The page's CSP admits styles with the script's nonce only.
const style = h('style', {}, styles);
style.nonce = (document.currentScript as HTMLScriptElement | null)?.nonce ?? '';
document.head.append(style);

const root = document.getElementById('app') as HTMLElement;
const host = connectHost<RunsToWebview, RunsFromWebview, ViewState>(onMessage);
const saved = host.getState();
const view: ViewState = { ...defaultViewState(), ...saved, compare: { ...defaultViewState().compare, ...saved?.compare } };
const save = () => host.setState(view);
const openDashboard = (runId: string) => host.post({ type: 'openDashboard', runId });

let current: DashboardView | CompareView | RegistryView | undefined;

function show(next: DashboardView | CompareView | RegistryView): void {
  current?.destroy();
  current = next;
  next.render();
}

function onMessage(message: RunsToWebview): void {
  switch (message.type) {
    case 'dashboard':
      show(
        new DashboardView(
          root,
          {
            run: message.run,
            live: message.live,
            series: toRaw(message.series),
            stdout: message.stdout,
            deployments: message.deployments ?? [],
          },
          view,
          save,
          (m) => host.post(m),
        ),
      );
      break;
    case 'compare': {
      // A live reload redraws the view: keep the focused control, its caret and the scroll position.
      const focused = document.activeElement instanceof HTMLElement && document.activeElement.id ? document.activeElement : undefined;
      const caret =
        focused instanceof HTMLInputElement && focused.type === 'search' ? [focused.selectionStart, focused.selectionEnd] : undefined;
      const scrollY = window.scrollY;
      show(
        new CompareView(
          root,
          {
            runs: message.runs.map((r) => ({ run: r.run, series: toRaw(r.series), stats: r.stats })),
            goals: message.goals ?? {},
            study: message.study,
          },
          view,
          save,
          openDashboard,
        ),
      );
      if (current instanceof CompareView && focused) {
        const again = document.getElementById(focused.id);
        again?.focus({ preventScroll: true });
        if (caret && again instanceof HTMLInputElement) again.setSelectionRange(caret[0], caret[1]);
      }
      window.scrollTo(0, scrollY);
      break;
    }
    case 'registry': {
      // A live refresh redraws the page: keep the focused button (by its label) and the scroll position.
      const focused =
        document.activeElement instanceof HTMLButtonElement
          ? (document.activeElement.getAttribute('aria-label') ?? document.activeElement.textContent)
          : undefined;
      const scrollY = window.scrollY;
      show(new RegistryView(root, message.page, (m) => host.post(m)));
      if (focused)
        [...root.querySelectorAll('button')]
          .find((b) => (b.getAttribute('aria-label') ?? b.textContent) === focused)
          ?.focus({ preventScroll: true });
      window.scrollTo(0, scrollY);
      break;
    }
    case 'study':
      if (current instanceof CompareView) current.setStudy(message.study);
      break;
    case 'append':
      if (!(current instanceof DashboardView) || current.data.run.id !== message.runId) return;
      current.append(message.points, !!message.reset);
      if (message.stdout) current.appendStdout(message.stdout);
      break;
    case 'status':
      if (!(current instanceof DashboardView) || current.data.run.id !== message.run.id) return;
      current.data.run = message.run;
      current.data.live = message.live;
      current.render();
      break;
    case 'error':
      current?.destroy();
      current = undefined;
      root.replaceChildren(h('h1', {}, 'Runs'), h('p', { class: 'runs-error' }, message.message));
      root.setAttribute('aria-busy', 'false');
      break;
  }
}

let resizeFrame = 0;
new ResizeObserver(() => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => current?.resize());
}).observe(root);

// VS Code swaps the theme's CSS variables on <body>: redraw with the new colors.
new MutationObserver(() => {
  resetColors();
  current?.render();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

host.post({ type: 'ready' });
