/**
 * Where the model server and ONNX Runtime live on disk, for the container build: dist/server.js (the bundled
 * server, next to dist/mlw.js and dist/extension.js) and node_modules/onnxruntime-node + onnxruntime-common
 * from the package root.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface ServerAssets {
  /** dist/server.js */
  serverJs: string;
  /** node_modules/onnxruntime-node */
  onnxruntimeDir: string;
  onnxruntimeCommonDir: string;
}

export class ServerAssetsMissingError extends Error {}

/** Finds the assets under the extension or package root; throws a readable error naming what is missing. */
export function locateServerAssets(root: string): ServerAssets {
  const serverJs = path.join(root, 'dist', 'server.js');
  const onnxruntimeDir = path.join(root, 'node_modules', 'onnxruntime-node');
  const common = [path.join(onnxruntimeDir, 'node_modules', 'onnxruntime-common'), path.join(root, 'node_modules', 'onnxruntime-common')];
  const onnxruntimeCommonDir = common.find((d) => existsSync(path.join(d, 'package.json'))) ?? common[1];
  const missing: string[] = [];
  if (!existsSync(serverJs)) missing.push(`${serverJs} (run \`npm run build\`)`);
  if (!existsSync(path.join(onnxruntimeDir, 'package.json'))) missing.push(`${onnxruntimeDir} (run \`npm ci\`)`);
  if (!existsSync(path.join(onnxruntimeCommonDir, 'package.json'))) missing.push(`${onnxruntimeCommonDir} (run \`npm ci\`)`);
  if (missing.length)
    throw new ServerAssetsMissingError(`The model server cannot be packaged into an image; missing: ${missing.join(', ')}`);
  return { serverJs, onnxruntimeDir, onnxruntimeCommonDir };
}
