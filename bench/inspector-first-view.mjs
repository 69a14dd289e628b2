#!/usr/bin/env node
/**
 * Benchmark: the ONNX inspector's graph in real code-server (headless Chromium), as a user meets it.
 *
 * For transformer-like models of about 1,000, 5,000 and 20,000 nodes (written here: blocks of LayerNorm,
 * Q/K/V MatMuls, attention, MLP and residual Adds, with small weights), each opened fresh in the custom
 * editor and its Graph tab clicked:
 *   - first view: from the Graph tab's click (the webview receives the model and starts the layout) to the
 *     first frame painted with the layout, the scale it opened at and whether labels were drawn
 *     (goals: <= 0.5 s for 1,000 nodes, <= 1 s for 5,000, <= 2 s for 20,000, legible);
 *   - the webview's longest main-thread task meanwhile (PerformanceObserver 'longtask'; goal: none over 50 ms);
 *   - frames per second while zooming continuously from Fit (a wheel event every frame for 1.5 s) and
 *     during the Fit animation (goal 60 fps on 20,000 nodes).
 *
 * Run: npm run build && npm run compile-tests && node bench/inspector-first-view.mjs
 * Options (env): MLW_BENCH_RUNS (3), MLW_BENCH_SIZES (1000,5000,20000).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { startCodeServer, artifactsDir } = await import(join(ROOT, 'test/harness/codeServer.mjs'));
const { openWorkbenchPage, runPaletteCommand } = await import(join(ROOT, 'test/harness/browserSession.mjs'));
const { transformerModel } = await import(join(ROOT, 'test/harness/transformerModel.mjs'));

const RUNS = Number(process.env.MLW_BENCH_RUNS ?? 3);
const SIZES = (process.env.MLW_BENCH_SIZES ?? '1000,5000,20000').split(',').map(Number);
const GOALS = { 1000: 500, 5000: 1000, 20000: 2000 };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const workspace = join(artifactsDir, 'workspaces', 'bench-inspector');
rmSync(workspace, { recursive: true, force: true });
mkdirSync(workspace, { recursive: true });
for (const n of SIZES) writeFileSync(join(workspace, `transformer-${n}.onnx`), transformerModel(n));

const server = await startCodeServer({ workspace, name: 'bench-inspector' });
const { browser, page } = await openWorkbenchPage(server);
console.log(`inspector first view in code-server + headless Chromium, ${RUNS} runs per model`);
try {
  for (const n of SIZES) {
    const rows = [];
    for (let run = 0; run < RUNS; run++) {
      await page.keyboard.press('Control+P');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor();
      await input.fill(`transformer-${n}.onnx`);
      await page
        .locator('.quick-input-widget .monaco-list-row', { hasText: `transformer-${n}.onnx` })
        .first()
        .waitFor({ timeout: 30_000 });
      await page.keyboard.press('Enter');
      const frame = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
      await frame.getByRole('table', { name: 'Inputs and outputs' }).waitFor({ timeout: 120_000 });
      await frame.locator('body').evaluate(() => {
        window.__longTasks = [];
        new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => e.duration))).observe({
          type: 'longtask',
        });
      });
      await frame.getByRole('tab', { name: 'Graph' }).click();
      const graph = frame.locator('.insp-graph[data-first-view-ms]');
      await graph.waitFor({ timeout: 120_000 });
      const first = await graph.evaluate((el) => ({ ...el.dataset }));
      await page.waitForTimeout(300);
      const longest = await frame.locator('body').evaluate(() => Math.max(0, ...window.__longTasks));
      const boxes = (await frame.locator('.insp-status').innerText()).match(/^([\d,]+) boxes/)?.[1] ?? '?';
      if (run === 0) await page.screenshot({ path: join(artifactsDir, 'screenshots', `bench-inspector-${n}.png`) });
      // Fit, then zoom in continuously from there: a wheel event every frame for 1.5 s.
      const canvas = frame.getByRole('img', { name: /Model graph/ });
      await canvas.focus();
      const fps = await canvas.evaluate(async (el) => {
        const frames = (ms, each) =>
          new Promise((done) => {
            const t0 = performance.now();
            let count = 0;
            let worst = 0;
            let last = t0;
            const tick = (now) => {
              count++;
              worst = Math.max(worst, now - last);
              last = now;
              each?.();
              if (now - t0 < ms) requestAnimationFrame(tick);
              else done({ fps: (1000 * count) / (now - t0), worst });
            };
            requestAnimationFrame(tick);
          });
        el.dispatchEvent(new KeyboardEvent('keydown', { key: '0', bubbles: true }));
        const fit = await frames(400);
        const rect = el.getBoundingClientRect();
        const zoom = await frames(1500, () =>
          el.dispatchEvent(
            new WheelEvent('wheel', {
              deltaY: -40,
              clientX: rect.left + rect.width / 2,
              clientY: rect.top + rect.height / 2,
              bubbles: true,
              cancelable: true,
            }),
          ),
        );
        return { fit, zoom };
      });
      rows.push({
        ms: Number(first.firstViewMs),
        scale: Number(first.firstViewScale),
        labels: first.firstViewLabels === 'true',
        longest,
        boxes,
        fps,
      });
      await runPaletteCommand(page, 'View: Close All Editors');
      await page.waitForTimeout(500);
    }
    const ms = median(rows.map((r) => r.ms));
    const goal = GOALS[n];
    const legible = rows.every((r) => r.labels);
    console.log(
      `${String(n).padStart(6)} nodes (${rows[0].boxes} boxes): first view median ${ms} ms (${rows.map((r) => r.ms).join(', ')})` +
        `${goal ? `, goal <= ${goal} ms: ${ms <= goal && legible ? 'PASS' : 'FAIL'}` : ''}; opened at scale ${rows[0].scale}, labels ${legible ? 'drawn' : 'NOT drawn'}`,
    );
    console.log(
      `        longest webview task ${median(rows.map((r) => r.longest)).toFixed(0)} ms (max ${Math.max(...rows.map((r) => r.longest)).toFixed(0)}); ` +
        `Fit animation ${median(rows.map((r) => r.fps.fit.fps)).toFixed(0)} fps, zooming from Fit ${median(rows.map((r) => r.fps.zoom.fps)).toFixed(0)} fps ` +
        `(worst frame ${Math.max(...rows.map((r) => r.fps.zoom.worst)).toFixed(0)} ms)`,
    );
  }
} finally {
  await browser.close();
  await server.stop();
}
