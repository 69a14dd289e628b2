import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

// The layering rules ARCHITECTURE.md states, checked on the source tree.
const root = path.resolve(__dirname, '../../../..');
const src = path.join(root, 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

const rel = (file: string): string => path.relative(root, file).split(path.sep).join('/');

/** The relative imports of a file (static, type-only and dynamic), resolved to files under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\(\s*)'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]);
  return specs.flatMap((spec) => {
    const base = path.resolve(path.dirname(file), spec);
    for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) {
      try {
        if (statSync(candidate).isFile()) return [candidate];
      } catch {
        // not this one
      }
    }
    return [];
  });
}

const files = tsFiles(src);

test('src/core/ and src/shared/ import neither vscode nor anything outside them', () => {
  const bad: string[] = [];
  for (const file of files.filter((f) => /\/src\/(core|shared)\//.test(f))) {
    const text = readFileSync(file, 'utf8');
    if (/from 'vscode'|require\('vscode'\)/.test(text)) bad.push(`${rel(file)} imports vscode`);
    for (const dep of importsOf(file)) if (!/\/src\/(core|shared)\//.test(dep)) bad.push(`${rel(file)} imports ${rel(dep)}`);
  }
  assert.deepEqual(bad, []);
});

test('the CLI and src/vscode/ import no feature, and the CLI no vscode', () => {
  const bad: string[] = [];
  for (const file of files.filter((f) => /\/src\/(cli|vscode)\//.test(f))) {
    const cli = /\/src\/cli\//.test(file);
    if (cli && /from 'vscode'|require\('vscode'\)/.test(readFileSync(file, 'utf8'))) bad.push(`${rel(file)} imports vscode`);
    for (const dep of importsOf(file)) {
      if (/\/src\/features\//.test(dep) || (cli && /\/src\/vscode\//.test(dep))) bad.push(`${rel(file)} imports ${rel(dep)}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('every feature folder exports activate() from its index, and holds at most 12 files per folder', () => {
  const features = path.join(src, 'features');
  const folders = readdirSync(features).filter((n) => statSync(path.join(features, n)).isDirectory());
  assert.ok(folders.length >= 5, `only ${folders.length} feature folders`);
  for (const folder of folders) {
    const index = path.join(features, folder, 'index.ts');
    assert.match(
      readFileSync(index, 'utf8'),
      /export function activate\(\{?[^)]*\}?: FeatureContext\): Feature/,
      `${rel(index)} does not export activate(ctx: FeatureContext): Feature`,
    );
  }
  const crowded = files
    .filter((f) => f.includes(`${path.sep}features${path.sep}`))
    .map((f) => path.dirname(f))
    .filter((dir, i, all) => all.indexOf(dir) === i)
    .map((dir) => ({ dir: rel(dir), count: readdirSync(dir).filter((n) => n.endsWith('.ts')).length }))
    .filter((d) => d.count > 12);
  assert.deepEqual(crowded, []);
});

test('no import cycles in src/ (type-only and dynamic imports included)', () => {
  const graph = new Map(files.map((f) => [f, importsOf(f)]));
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, stack: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      cycles.push([...stack.slice(stack.indexOf(file)), file].map(rel).join(' -> '));
      return;
    }
    state.set(file, 'open');
    for (const dep of graph.get(file) ?? []) visit(dep, [...stack, file]);
    state.set(file, 'done');
  };
  for (const f of files) visit(f, []);
  assert.deepEqual(cycles, []);
});
