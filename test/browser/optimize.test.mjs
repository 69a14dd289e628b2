// Optimize a model in the real workbench: from the ONNX inspector's title bar with ort-basic, the report shows
// the file sizes of both models as on disk, their p50 and the variant's agreement; Open Variant opens it in the
// inspector, and the Models view shows it under its original with its recipe and, on hover, its verdict.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { browserTestSkip, openWorkbench, shots, widenSidebar } from '../harness/browserSession.mjs';

const skip = browserTestSkip();

let session;
let page;
let workspace;

before(async () => {
  if (skip) return;
  session = await openWorkbench('browser-optimize', { prepare: (ws) => (workspace = ws) });
  page = session.page;
});

after(async () => {
  await session?.close();
});

/** The report's own byte format (webview-ui/optimize/main.ts): what the user reads for a file of `n` bytes. */
function shownBytes(n) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

const sidebarRow = (text) => page.locator('.part.sidebar [role="treeitem"]', { hasText: text }).first();

test('optimize from the inspector, read the report, open the variant, see it under its original', { skip, timeout: 240_000 }, async () => {
  try {
    await optimizeAndFollow();
  } catch (e) {
    await page.screenshot({ path: join(shots, '29-optimize-failure.png') }).catch(() => undefined);
    throw e;
  }
});

async function optimizeAndFollow() {
  await page.keyboard.press('Control+P');
  const quick = page.locator('.quick-input-widget .quick-input-box input');
  await quick.waitFor();
  await quick.fill('conv2d.onnx');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'conv2d.onnx' }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab', { hasText: 'conv2d.onnx' }).waitFor({ timeout: 30_000 });
  const inspector = page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
  await inspector.getByRole('table', { name: 'Inputs and outputs' }).waitFor({ timeout: 60_000 });

  // 1. The title bar's Optimize Model… button: tick ort-basic, accept.
  await page.locator('.editor-actions [aria-label^="Optimize Model"]').first().click();
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'ort-basic' }).first();
  await row.waitFor({ timeout: 30_000 });
  await page.locator('.quick-input-widget', { hasText: 'applied in the order listed' }).waitFor();
  // A click on the row ticks it (a click right after the list draws can be lost: then the keyboard does it).
  const selected = page.locator('.quick-input-widget', { hasText: '1 Selected' });
  await row.locator('.label-name, .monaco-icon-label').first().click();
  if (
    !(await selected.waitFor({ timeout: 3_000 }).then(
      () => true,
      () => false,
    ))
  ) {
    await page.keyboard.press('Home');
    await page.keyboard.press('Space');
    await selected.waitFor({ timeout: 5_000 });
  }
  await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).first().click();

  // 2. The report beside the inspector: what the user reads is what is on disk and measured.
  await page.locator('.tabs-container .tab', { hasText: 'Optimize: conv2d.onnx' }).waitFor({ timeout: 180_000 });
  const report = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  const figures = report.getByRole('table', { name: 'Optimization figures' });
  await figures.waitFor({ timeout: 60_000 });
  const original = join(workspace, 'models', 'conv2d.onnx');
  const variant = join(workspace, 'models', 'conv2d.ort-basic.onnx');
  const cells = async (label) =>
    (
      await figures
        .locator('tr', { has: page.locator(`td:text-is("${label}")`) })
        .locator('td')
        .allInnerTexts()
    ).slice(1);
  assert.deepEqual(await figures.locator('th').allInnerTexts(), ['Figure', 'original', 'ort-basic']);
  assert.deepEqual(await cells('File'), [shownBytes(statSync(original).size), shownBytes(statSync(variant).size)]);
  const p50 = await cells('p50');
  assert.equal(p50.length, 2);
  for (const v of p50) assert.ok(/^\d+(\.\d+)? ms$/.test(v) && Number.parseFloat(v) > 0, `a measured p50: ${v}`);
  const agreement = report.getByRole('table', { name: 'Output agreement of ort-basic' });
  const [, maxAbs, maxRel, cosine] = await agreement.locator('tbody tr').first().locator('td').allInnerTexts();
  assert.ok(Number(maxAbs) <= 1e-5 && Number(maxRel) <= 1e-4, `outputs unchanged: max abs ${maxAbs}, max rel ${maxRel}`);
  assert.equal(cosine, '1.000000');
  const verdict = (await report.locator('section[data-variant="ort-basic"] .verdict').innerText()).trim();
  assert.match(verdict, /^ort-basic: .*(smaller|larger|same size).*p50.*cosine 1\.000000$/);
  assert.match(await report.locator('section[data-variant="ort-basic"]').innerText(), /parent conv2d\.onnx \(sha256 cb8df62b2240…\)/);
  // The lineage knows the variant, its parent's hash and the recipe.
  const lineage = readFileSync(join(workspace, '.mlw', 'lineage.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lineage.map((r) => [r.kind, r.modelPath, r.parentHash.slice(0, 12), r.recipe, r.verdict]),
    [['variant', variant, 'cb8df62b2240', 'ort-basic', verdict]],
  );
  await page.screenshot({ path: join(shots, '25-optimize-report.png') });

  // 3. Open Variant: the variant in the inspector.
  await report.getByText('Open Variant').click();
  await page.locator('.tabs-container .tab', { hasText: 'conv2d.ort-basic.onnx' }).waitFor({ timeout: 30_000 });
  const variantInspector = page.frameLocator('iframe.webview.ready').last().frameLocator('iframe#active-frame');
  await variantInspector.getByRole('table', { name: 'Inputs and outputs' }).waitFor({ timeout: 60_000 });

  // 4. The Models view: the variant one level under conv2d.onnx, its recipe beside it, its verdict on hover.
  await page.locator('.activitybar [aria-label^="ML Workbench"]').first().click();
  const originalRow = sidebarRow(/^conv2d\.onnx/);
  await originalRow.waitFor({ timeout: 60_000 });
  await widenSidebar(page);
  if ((await originalRow.getAttribute('aria-expanded')) !== 'true') await originalRow.locator('.monaco-tl-twistie').click();
  const variantRow = sidebarRow('conv2d.ort-basic.onnx');
  await variantRow.waitFor({ timeout: 30_000 });
  assert.equal(Number(await variantRow.getAttribute('aria-level')), Number(await originalRow.getAttribute('aria-level')) + 1);
  assert.match(await variantRow.innerText(), /conv2d\.ort-basic\.onnx\s*ort-basic/);
  assert.equal(
    await page.locator('.part.sidebar [role="treeitem"][aria-level="1"]', { hasText: 'conv2d.ort-basic.onnx' }).count(),
    0,
    'the variant is not also listed at the top level',
  );
  await variantRow.locator('.label-name').hover();
  const hover = page.locator('.monaco-hover, .workbench-hover', { hasText: 'ort-basic variant' }).first();
  await hover.waitFor({ timeout: 10_000 });
  const tip = await hover.innerText();
  assert.ok(tip.includes(verdict), `the tooltip has the verdict: ${tip}`);
  assert.match(tip, /Original: conv2d\.onnx/);
  await page.screenshot({ path: join(shots, '26-optimize-variant-grouped.png') });
}
