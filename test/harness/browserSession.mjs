// What every browser test needs: the check of its system components (fail under CI=true, skip
// elsewhere), a workbench with the extension loaded, the palette, and the screenshots folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCodeServer, launchChromium, hasChromium, artifactsDir } from './codeServer.mjs';
import { makeWorkspace, hasCorpusModels } from './workspace.mjs';
import { toolsReady } from '../../scripts/install-tools.mjs';

export const shots = join(artifactsDir, 'screenshots');

/** `skip` option for node:test: false when code-server, Chromium and the ONNX corpus are here. */
export function browserTestSkip() {
  const missing = [
    !toolsReady() && 'code-server (npm run tools)',
    !hasChromium() && 'Chromium (apt-get install chromium)',
    !hasCorpusModels() && 'libonnx-testdata (apt-get install libonnx-testdata)',
  ].filter(Boolean);
  if (missing.length && process.env.CI === 'true') throw new Error(`CI=true and missing: ${missing.join(', ')}`);
  return missing.length ? `missing ${missing.join(', ')}` : false;
}

/**
 * Starts code-server on a fresh sample workspace and opens the workbench in Chromium. `prepare` can add
 * to the workspace before the window opens (settings a cloned repository would bring, for instance).
 * @param {string} name @param {{ models?: boolean, trusted?: boolean, prepare?: (workspace: string) => void }} [opts]
 */
export async function openWorkbench(name, opts = {}) {
  mkdirSync(shots, { recursive: true });
  const workspace = makeWorkspace(name, { models: opts.models });
  opts.prepare?.(workspace);
  const server = await startCodeServer({ workspace, name, trusted: opts.trusted });
  const { browser, page } = await openWorkbenchPage(server);
  return {
    page,
    runCommand: (title) => runPaletteCommand(page, title),
    async close() {
      await browser.close();
      await server.stop();
    },
  };
}

/** Opens a running code-server's workbench in a new Chromium page and waits until it is drawn. */
export async function openWorkbenchPage(server) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(server.workbenchUrl());
  await page.locator('.monaco-workbench .part.activitybar').waitFor({ timeout: 60_000 });
  return { browser, page };
}

/** True once the quick input is shown and takes input: not display:none, not inert (it is inert while it animates closed). */
function quickInputOpen() {
  const widget = document.querySelector('.quick-input-widget');
  return !!widget && !widget.inert && widget.style.display !== 'none' && !!widget.querySelector('.quick-input-box input');
}

/**
 * Runs a command by its title from the command palette. F1 pressed while the previous quick input
 * still animates closed can leave the new one inert, so the palette is opened again until it takes input.
 */
export async function runPaletteCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    await page
      .waitForFunction(() => !document.querySelector('.quick-input-widget-closing'), undefined, { timeout: 2_000 })
      .catch(() => undefined);
    await page.keyboard.press('F1');
    const open = await page.waitForFunction(quickInputOpen, undefined, { timeout: 5_000 }).then(
      () => true,
      () => false,
    );
    if (open) break;
    if (attempt === 3) throw new Error(`the command palette did not open for "${title}" after ${attempt} tries`);
    await page.keyboard.press('Escape');
  }
  await page.locator('.quick-input-widget .quick-input-box input').fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30_000 });
  await page.keyboard.press('Enter');
}

/**
 * Picks `item` from a tree row's context menu. VS Code's menus act on keyboard or mouse-up: a
 * click right after the menu opens can be ignored, so the item is hovered (focused) and Enter runs it.
 */
export async function chooseFromContextMenu(page, row, item) {
  await row.click({ button: 'right' });
  const entry = page.getByRole('menuitem', { name: item, exact: true });
  await entry.waitFor({ timeout: 10_000 });
  await entry.hover();
  await page.keyboard.press('Enter');
  await entry.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Drags the side bar's edge `by` pixels to the right, so tree rows show their descriptions whole. */
export async function widenSidebar(page, by = 260) {
  const bar = await page.locator('.part.sidebar').boundingBox();
  if (!bar) return;
  const edge = bar.x + bar.width;
  for (const sash of await page.locator('.monaco-sash.vertical').all()) {
    const box = await sash.boundingBox().catch(() => null);
    if (!box || Math.abs(box.x + box.width / 2 - edge) > 8) continue;
    await page.mouse.move(box.x + box.width / 2, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x + by, box.y + 200, { steps: 5 });
    await page.mouse.up();
    return;
  }
}
