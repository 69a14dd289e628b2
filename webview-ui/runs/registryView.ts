import type { RegistryModelView, RegistryPageView, RegistryVersionView } from '../../src/core/registry/registryPageTypes';
import type { RegistryAction, RunsFromWebview } from '../../src/shared/runsProtocol';
import { h } from '../shared/dom';
import { formatBytes } from '../lib/format';
import { formatLatency, formatMetrics, formatMove, formatWhen, gateSummary } from '../lib/registryFormat';
import { button, table } from './common';

const CHAMPION = 'champion';

function badge(alias: string): HTMLElement {
  return h('span', { class: `runs-tag reg-alias${alias === CHAMPION ? ' reg-champion' : ''}` }, alias === CHAMPION ? `★ ${alias}` : alias);
}

/** A wide table scrolls sideways in a narrow editor instead of wrapping each cell. */
const scroll = (t: HTMLElement): HTMLElement => h('div', { class: 'reg-scroll' }, t);

function outcome(passed: boolean): HTMLElement {
  return h('span', { class: `reg-outcome ${passed ? 'reg-pass' : 'reg-fail'}` }, passed ? '✓ pass' : '✗ FAIL');
}

/**
 * The registry page: each registered model with its aliases, the gates of mlw.yaml evaluated now for the candidate
 * (challenger, else the newest non-champion version) against the champion, its versions and its alias history.
 * Actions post a message; the extension runs the matching command and sends the page again when the files change.
 */
export class RegistryView {
  constructor(
    private readonly root: HTMLElement,
    public page: RegistryPageView,
    private readonly post: (m: RunsFromWebview) => void,
  ) {}

  private act(label: string, message: RegistryAction, primary = false, aria?: string): HTMLButtonElement {
    const b = button(label, () => this.post(message), !primary);
    if (aria) b.setAttribute('aria-label', aria);
    return b;
  }

  private runLink(runId: string | null): HTMLElement | string {
    if (!runId) return '—';
    const b = h('button', { class: 'runs-link mono', type: 'button', title: `Open the dashboard of run ${runId}` }, runId);
    b.addEventListener('click', () => this.post({ type: 'openDashboard', runId }));
    return b;
  }

  private evaluations(v: RegistryVersionView): HTMLElement | string {
    if (!v.evaluations.length) return '—';
    return h(
      'ul',
      { class: 'reg-evals' },
      ...v.evaluations.map((e) =>
        h(
          'li',
          { title: `${e.data} sha256 ${e.sha256} at ${formatWhen(e.at)}` },
          h('span', { class: 'mono' }, e.data),
          ': ',
          formatMetrics(e.metrics),
        ),
      ),
    );
  }

  private gates(m: RegistryModelView): HTMLElement[] {
    const g = m.gates;
    const head = h(
      'h3',
      {},
      g.candidate === null
        ? 'Gates'
        : `Gates for v${g.candidate} (${g.why}) against ${g.champion === null ? 'no champion yet' : `champion v${g.champion}`}`,
    );
    if (g.error) return [head, h('p', { class: 'runs-error', role: 'alert' }, g.error)];
    if (!g.declared.length)
      return [
        head,
        h(
          'p',
          { class: 'muted' },
          `No gates declared for ${m.name} in mlw.yaml (registry: ${m.name}: gates: [...]): promote moves the alias at once.`,
        ),
      ];
    if (g.candidate === null)
      return [head, h('p', { class: 'muted' }, `No version to judge: ${g.why}. Declared: ${g.declared.join(', ')}`)];
    const passed = g.results.every((r) => r.passed);
    return [
      head,
      table(
        `Gates of ${m.name}`,
        ['Gate', 'Outcome', 'Numbers'],
        g.results.map((r) => ({
          cells: [h('span', { class: 'mono' }, r.gate), outcome(r.passed), r.detail],
          cls: r.passed ? '' : 'reg-row-fail',
        })),
        'reg-gates',
      ),
      h(
        'div',
        { class: 'toolbar' },
        this.act(`Promote v${g.candidate} to champion`, { type: 'promote', model: m.name, version: g.candidate }, true),
        h(
          'span',
          { class: passed ? 'reg-pass' : 'reg-fail', role: 'status' },
          passed ? `all ${g.results.length} gates pass` : gateSummary(g.results),
        ),
      ),
    ];
  }

  private model(m: RegistryModelView): HTMLElement {
    const aliases = Object.entries(m.aliases).sort(([a], [b]) => (a === CHAMPION ? -1 : b === CHAMPION ? 1 : a.localeCompare(b)));
    const toolbar = h(
      'div',
      { class: 'toolbar' },
      ...aliases.flatMap(([alias]) => [
        this.act(`Serve ${m.name}@${alias}`, { type: 'serveAlias', model: m.name, alias }),
        this.act(`Deploy Locally ${m.name}@${alias}…`, { type: 'deployAlias', model: m.name, alias }),
      ]),
      ...m.rollbackable.map((alias) =>
        this.act(
          `Roll Back ${alias}`,
          { type: 'rollback', model: m.name, alias },
          false,
          `Roll back ${m.name}@${alias} to its previous version`,
        ),
      ),
    );
    return h(
      'section',
      { class: 'reg-model', 'aria-label': `Registered model ${m.name}` },
      h(
        'h2',
        {},
        m.name,
        ' ',
        ...aliases.map(([a, v]) => h('span', { class: `runs-tag reg-alias${a === CHAMPION ? ' reg-champion' : ''}` }, `${a} → v${v}`)),
      ),
      toolbar,
      ...this.gates(m),
      h('h3', {}, 'Versions'),
      scroll(
        table(
          `Versions of ${m.name}`,
          ['Version', 'Aliases', 'Source run', 'sha256', 'Size', 'Metrics', 'p50 / p99', 'Evaluations', 'Actions'],
          m.versions.map((v) => ({
            cells: [
              h(
                'span',
                { title: `${v.path}\nregistered ${formatWhen(v.registeredAt)} by ${v.registeredBy}${v.notes ? `\n${v.notes}` : ''}` },
                `v${v.version}`,
              ),
              v.aliases.length ? h('span', { class: 'runs-tags' }, ...v.aliases.map(badge)) : '—',
              this.runLink(v.runId),
              h('span', { class: 'mono', title: v.sha256 }, v.sha256.slice(0, 12)),
              formatBytes(v.sizeBytes),
              formatMetrics(v.metrics),
              formatLatency(v.benchmark),
              this.evaluations(v),
              h(
                'span',
                { class: 'reg-actions' },
                ...(v.aliases.includes(CHAMPION)
                  ? []
                  : [
                      this.act(
                        'Promote',
                        { type: 'promote', model: m.name, version: v.version },
                        false,
                        `Promote ${m.name} v${v.version} to champion`,
                      ),
                    ]),
                this.act(
                  'Set Alias…',
                  { type: 'setAlias', model: m.name, version: v.version },
                  false,
                  `Set an alias on ${m.name} v${v.version}`,
                ),
              ),
            ],
          })),
          'reg-versions',
        ),
      ),
      h('h3', {}, 'Alias history'),
      m.history.length
        ? scroll(
            table(
              `Alias history of ${m.name}`,
              ['When', 'Alias', 'Move', 'Action', 'By', 'Forced', 'Gates'],
              m.history.map((x) => ({
                cells: [
                  formatWhen(x.at),
                  x.alias,
                  formatMove(x),
                  x.action,
                  x.by,
                  x.forced ? h('span', { class: 'reg-fail' }, 'forced') : '—',
                  x.gates.length
                    ? h(
                        'span',
                        { title: x.gates.map((g) => `${g.passed ? '✓' : '✗'} ${g.gate}: ${g.detail}`).join('\n') },
                        gateSummary(x.gates),
                      )
                    : '—',
                ],
              })),
              'reg-history',
            ),
          )
        : h('p', { class: 'muted' }, 'No alias moves yet.'),
    );
  }

  render(): void {
    const { page } = this;
    this.root.replaceChildren(
      h('h1', {}, 'Model Registry'),
      h('p', { class: 'muted' }, `${page.workspace} · .mlw/registry/ · gates from mlw.yaml`),
      ...page.errors.map((e) => h('p', { class: 'runs-error', role: 'alert' }, e)),
      ...(page.models.length
        ? page.models.map((m) => this.model(m))
        : [h('p', { class: 'muted' }, 'No registered models. Register one with: mlw registry register MODEL --name NAME')]),
    );
    this.root.setAttribute('aria-busy', 'false');
  }

  resize(): void {}

  destroy(): void {}
}
