import type { RunStudyView } from '../../src/shared/runsProtocol';
import { formatTick } from '../lib/niceTicks';
import { h } from '../shared/dom';
import { sizeCanvas } from '../shared/sizeCanvas';
import { canvasTheme, linear, makeAxis } from './canvas';
import { color } from './charts';
import { formatValue } from './common';

const HEIGHT = 220;
const M = { left: 64, right: 16, top: 12, bottom: 28 };

const STATE_ORDER = ['complete', 'pruned', 'fail', 'running', 'waiting'];
const METHOD: Record<string, string> = { tpe: 'TPE (Bayesian)', random: 'random' };

/**
 * The Compare page's study section, when the compared runs are trials of one Optuna study: what it optimises and
 * its trial states, the best value over trials (each completed trial a dot, pruned ones rings, the best so far a
 * step line) and each parameter's importance as bars.
 */
export class StudySection {
  readonly el = h('section', { class: 'runs-study', 'aria-label': 'Study' });
  private readonly canvas = h('canvas', { class: 'runs-canvas', role: 'img' });
  private study: RunStudyView | undefined;

  render(study: RunStudyView | undefined): void {
    this.study = study;
    if (!study) {
      this.el.replaceChildren();
      return;
    }
    const s = study.summary;
    if (!s) {
      this.el.replaceChildren(h('h2', {}, `Study ${study.name}`), h('p', { class: 'runs-error' }, study.error ?? 'Reading the study…'));
      return;
    }
    const counts = new Map<string, number>();
    for (const t of s.trials) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    const states = [...counts.keys()].sort((a, b) => STATE_ORDER.indexOf(a) - STATE_ORDER.indexOf(b));
    const best = s.best;
    const metric = (s.objective ?? '').replace(/:(min|max)$/, '') || 'objective';
    const bestText = best
      ? `best ${metric} ${formatValue(best.value ?? NaN)} at trial ${best.trial} (${Object.entries(best.params)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? formatTick(v) : String(v)}`)
          .join(', ')})`
      : 'no completed trial yet';
    const importances = s.importances ? Object.entries(s.importances).sort((a, b) => b[1] - a[1]) : [];
    this.el.replaceChildren(
      h('h2', {}, `Study ${s.study}`),
      h(
        'p',
        { class: 'runs-study-summary' },
        `${METHOD[s.method ?? ''] ?? s.method ?? 'Optuna'} · ${s.direction === 'minimize' ? 'minimize' : 'maximize'} ${metric} · ${s.trials.length} trials (${states
          .map((k) => `${counts.get(k)} ${k}`)
          .join(', ')}) · ${bestText}`,
      ),
      h('h3', {}, 'Best value over trials'),
      h('div', { class: 'runs-canvas-box' }, this.canvas),
      h('h3', {}, 'Parameter importance'),
      importances.length
        ? h(
            'div',
            { class: 'runs-bars', role: 'list' },
            ...importances.map(([name, v], i) => {
              const bar = h('span', { class: 'runs-bar' });
              bar.style.left = '0';
              bar.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
              bar.style.background = color(i);
              const pct = `${(v * 100).toFixed(1)} %`;
              return h(
                'div',
                { class: 'runs-bar-row', role: 'listitem', 'aria-label': `${name}: ${pct}` },
                h('span', { class: 'runs-bar-label', title: name }, name),
                h('span', { class: 'runs-bar-track', 'aria-hidden': 'true' }, bar),
                h('span', { class: 'runs-bar-value mono' }, pct),
              );
            }),
          )
        : h('p', { class: 'muted' }, s.importanceNote ?? 'No importance yet.'),
      ...(importances.length
        ? [
            h(
              'p',
              { class: 'muted' },
              s.importanceMethod === 'fanova'
                ? "Optuna's fANOVA importance over the completed trials: how much of the objective's variance each parameter explains."
                : (s.importanceNote ?? 'Share of the objective variance each parameter explains.'),
            ),
          ]
        : []),
    );
    this.draw();
  }

  /** The chart: trial number across, objective up. */
  draw(): void {
    const s = this.study?.summary;
    if (!s || !this.canvas.isConnected) return;
    const width = Math.max(320, this.el.clientWidth || 640);
    const ctx = sizeCanvas(this.canvas, width, HEIGHT);
    const t = canvasTheme();
    ctx.clearRect(0, 0, width, HEIGHT);
    ctx.font = t.font;
    const points = s.trials.filter((x) => (x.state === 'complete' || x.state === 'pruned') && x.value !== null && Number.isFinite(x.value));
    const progress = this.study?.progress ?? [];
    const maxTrial = Math.max(1, ...s.trials.map((x) => x.number));
    const xs = linear(0, maxTrial, M.left, width - M.right);
    const y = makeAxis(
      points.map((p) => p.value as number),
      HEIGHT - M.bottom,
      M.top,
      { pad: true, tickCount: 4 },
    );
    ctx.strokeStyle = t.grid;
    ctx.fillStyle = t.muted;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of y.ticks) {
      const py = Math.round(y.map(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(M.left, py);
      ctx.lineTo(width - M.right, py);
      ctx.stroke();
      ctx.fillText(formatTick(v), M.left - 6, py);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText('trial', (M.left + width - M.right) / 2, HEIGHT - 14);
    ctx.fillText('0', xs(0), HEIGHT - M.bottom + 4);
    ctx.fillText(String(maxTrial), xs(maxTrial), HEIGHT - M.bottom + 4);
    for (const p of points) {
      ctx.beginPath();
      ctx.arc(xs(p.number), y.map(p.value as number), 3, 0, 2 * Math.PI);
      if (p.state === 'complete') {
        ctx.fillStyle = t.muted;
        ctx.fill();
      } else {
        ctx.strokeStyle = t.muted;
        ctx.stroke();
      }
    }
    ctx.strokeStyle = color(0);
    ctx.lineWidth = 2;
    ctx.beginPath();
    let pen = false;
    let last: number | undefined;
    for (const p of progress) {
      if (p.best === null) continue;
      const px = xs(p.trial);
      const py = y.map(p.best);
      if (!pen) ctx.moveTo(px, py);
      else {
        ctx.lineTo(px, y.map(last as number));
        ctx.lineTo(px, py);
      }
      pen = true;
      last = p.best;
    }
    if (pen && last !== undefined) ctx.lineTo(xs(maxTrial), y.map(last));
    ctx.stroke();
    ctx.lineWidth = 1;
    const bestNow = progress.at(-1)?.best;
    this.canvas.setAttribute(
      'aria-label',
      `Best ${s.objective ?? 'value'} over ${s.trials.length} trials${bestNow !== null && bestNow !== undefined ? `: ${formatValue(bestNow)} now` : ''}. Dots: completed trials; rings: pruned trials (their last reported value).`,
    );
  }
}
