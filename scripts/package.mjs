// Builds one platform-specific VSIX per onnxruntime-node platform; each carries only its own
// native binaries. Usage: npm run package [-- linux-x64 ...]   Output: dist-vsix/*.vsix
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ortBin = 'node_modules/onnxruntime-node/bin/napi-v6';
// VS Code target name -> onnxruntime-node folder
const targets = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(targets);
for (const t of wanted) if (!targets[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(targets).join(', ')}`);

rmSync('dist', { recursive: true, force: true });
execFileSync('node', ['esbuild.mjs', '--production'], { stdio: 'inherit' });
mkdirSync('dist-vsix', { recursive: true });
const base = readFileSync('.vscodeignore', 'utf8');
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const present = readdirSync(ortBin).flatMap((os) => readdirSync(join(ortBin, os)).map((arch) => `${os}/${arch}`));

for (const target of wanted) {
  if (!present.includes(targets[target])) throw new Error(`onnxruntime-node has no binaries for ${target}`);
  const ignoreFile = join('dist-vsix', `.vscodeignore-${target}`);
  // "Containerize Model" copies Linux binaries of the same CPU into the image (Docker Desktop runs a Linux VM).
  const linux = `linux/${targets[target].split('/')[1]}`;
  const containerLine = linux === targets[target] ? '' : `# Linux binaries for the model server image\n!${ortBin}/${linux}/**\n`;
  writeFileSync(ignoreFile, `${base}\n# this platform's onnxruntime binaries\n!${ortBin}/${targets[target]}/**\n${containerLine}`);
  const out = join('dist-vsix', `ml-workbench-${target}-${version}.vsix`);
  rmSync(out, { force: true });
  execFileSync(
    'npx',
    [
      'vsce',
      'package',
      '--target',
      target,
      '--ignoreFile',
      ignoreFile,
      '--out',
      out,
      '--allow-missing-repository',
      '--skip-license',
      '--no-rewrite-relative-links',
    ],
    { stdio: 'inherit' },
  );
  console.log(`${out}: ${(statSync(out).size / 1024 / 1024).toFixed(1)} MB`);
}
