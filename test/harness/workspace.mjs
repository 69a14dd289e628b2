// Builds a throwaway ML workspace for tests and the demo: real ONNX models from Debian's
// libonnx-testdata (written by the ONNX project, not by us) and a small training script.
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { artifactsDir } from './codeServer.mjs';

export const CORPUS = process.env.MLW_ONNX_CORPUS ?? '/usr/share/libonnx-testdata/data';

const MODELS = {
  'models/conv2d.onnx': 'pytorch-converted/test_Conv2d/model.onnx',
  'models/linear.onnx': 'pytorch-converted/test_Linear/model.onnx',
  'models/experiments/gemm.onnx': 'node/test_gemm_default_matrix_bias/model.onnx',
};

export function hasCorpusModels() {
  return Object.values(MODELS).every((m) => existsSync(join(CORPUS, m)));
}

/** @param {string} name @param {{ models?: boolean }} [opts] */
export function makeWorkspace(name, opts = {}) {
  const ws = join(artifactsDir, 'workspaces', name);
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws, { recursive: true });
  if (opts.models !== false) {
    for (const [to, from] of Object.entries(MODELS)) {
      mkdirSync(join(ws, to, '..'), { recursive: true });
      copyFileSync(join(CORPUS, from), join(ws, to));
    }
  }
  writeFileSync(join(ws, 'params.yaml'), 'lr: 0.1\nepochs: 5\n');
  writeFileSync(
    join(ws, 'train.py'),
    [
      '"""A tiny training script: logs a loss curve through the ML Workbench helper when it is present."""',
      'import math',
      'try:',
      '    import mlw_run as mlw',
      'except ImportError:',
      '    mlw = None',
      '',
      'if __name__ == "__main__":',
      '    lr, epochs = 0.1, 5',
      '    for epoch in range(epochs):',
      '        loss = math.exp(-lr * (epoch + 1))',
      '        if mlw:',
      '            mlw.log_metric("loss", loss, step=epoch)',
      '        print(f"epoch={epoch} loss={loss:.4f}")',
      '',
    ].join('\n'),
  );
  return ws;
}
