import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SCALAR_LINE, parsePrintedScalars } from '../../../src/core/runs/parsePrintedScalars';

/** `{ name: value, ..., '@step': step }` for readable expectations; undefined when the line holds nothing. */
function scalars(line: string): Record<string, number> | undefined {
  const p = parsePrintedScalars(line);
  if (!p) return undefined;
  const out: Record<string, number> = Object.fromEntries(p.values.map((x) => [x.k, x.v]));
  if (p.step !== undefined) out['@step'] = p.step;
  return out;
}

describe('parsePrintedScalars: lines real training loops print', () => {
  const cases: Array<[string, string, Record<string, number>]> = [
    ['plain f-string', 'epoch 3 loss: 0.2345 acc=0.91', { loss: 0.2345, acc: 0.91, '@step': 3 }],
    ['several = pairs', 'loss=0.5 val_loss=0.61 lr=1e-3', { loss: 0.5, val_loss: 0.61, lr: 0.001 }],
    [
      'float syntaxes',
      'a=.5 b=-2. c=+3e+2 d=1E-05 e=-inf f=nan g=Infinity',
      { a: 0.5, b: -2, c: 300, d: 1e-5, e: -Infinity, f: NaN, g: Infinity },
    ],
    ['step pair wins over epoch pair, which stays a metric', 'step=1500 epoch=2 loss=0.31', { epoch: 2, loss: 0.31, '@step': 1500 }],
    ['iteration word', 'Iteration 7, loss = 0.6931', { loss: 0.6931, '@step': 7 }],
    ['iter pair', 'iter: 40 | loss: 1.25 | grad_norm: 3.5', { loss: 1.25, grad_norm: 3.5, '@step': 40 }],
    ['PyTorch MNIST example', 'Train Epoch: 1 [12800/60000 (21%)]\tLoss: 0.412345', { Loss: 0.412345, '@step': 1 }],
    ['PyTorch MNIST test summary', 'Test set: Average loss: 0.0500, Accuracy: 9843/10000 (98%)', { Average_loss: 0.05 }],
    ['PyTorch quickstart', 'loss: 2.302585  [   64/60000]', { loss: 2.302585 }],
    ['a percentage', 'Accuracy: 95.2%, Avg loss: 0.123456', { Accuracy: 95.2, Avg_loss: 0.123456 }],
    [
      'qualified two-word names',
      'Epoch 4 | Train Loss: 0.532 | Val Loss: 0.611 | val acc: 0.87',
      { Train_Loss: 0.532, Val_Loss: 0.611, val_acc: 0.87, '@step': 4 },
    ],
    ['torch tensor repr', 'epoch 2 loss: tensor(0.6931, grad_fn=<NllLossBackward0>)', { loss: 0.6931, '@step': 2 }],
    ['numpy 2 repr in a dict', "{'auc': np.float64(0.875), 'epoch': 4}", { auc: 0.875, '@step': 4 }],
    [
      'Hugging Face Trainer log dict',
      "{'loss': 0.6931, 'grad_norm': 1.2345, 'learning_rate': 4.5e-05, 'epoch': 0.33}",
      { loss: 0.6931, grad_norm: 1.2345, learning_rate: 4.5e-5, '@step': 0.33 },
    ],
    [
      'Hugging Face Trainer eval dict',
      "{'eval_loss': 0.5123, 'eval_accuracy': 0.8125, 'eval_runtime': 1.234, 'eval_samples_per_second': 103.7, 'epoch': 1.0}",
      { eval_loss: 0.5123, eval_accuracy: 0.8125, eval_runtime: 1.234, eval_samples_per_second: 103.7, '@step': 1 },
    ],
    ['JSON line', '{"step": 10, "train/loss": 0.25, "val/acc": 0.9}', { 'train/loss': 0.25, 'val/acc': 0.9, '@step': 10 }],
    [
      'Keras epoch summary',
      '32/32 [==============================] - 1s 3ms/step - loss: 0.6931 - accuracy: 0.5000 - val_loss: 0.6900 - val_accuracy: 0.5500',
      { loss: 0.6931, accuracy: 0.5, val_loss: 0.69, val_accuracy: 0.55 },
    ],
    [
      'Keras 3 epoch summary',
      '32/32 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.8712 - loss: 0.3561',
      { accuracy: 0.8712, loss: 0.3561 },
    ],
    ['Keras verbose=2', '313/313 - 1s - loss: 0.2901 - accuracy: 0.9175 - 1s/epoch - 3ms/step', { loss: 0.2901, accuracy: 0.9175 }],
    [
      'XGBoost evals',
      '[7]\tvalidation_0-logloss:0.41234\tvalidation_1-logloss:0.43771',
      { 'validation_0-logloss': 0.41234, 'validation_1-logloss': 0.43771, '@step': 7 },
    ],
    ['LightGBM evals', "[10]\tvalid_0's l2: 0.123456", { l2: 0.123456, '@step': 10 }],
    ['Lightning-style logged names', 'epoch=3 train/loss=0.2 val/acc=0.88', { 'train/loss': 0.2, 'val/acc': 0.88, '@step': 3 }],
    ['Python logging prefix', 'INFO:__main__:step=20 loss=0.75', { loss: 0.75, '@step': 20 }],
    ['log level before a loose pair', '2024-01-02 10:11:12,345 - INFO - epoch 5 - val_loss: 0.4400', { val_loss: 0.44, '@step': 5 }],
    ['Keras-style Epoch N/M', 'Epoch 3/10 loss=0.5', { loss: 0.5, '@step': 3 }],
    ['N/total forms only: automatic step', 'Epoch [1/5], Step [100/600], Loss: 0.2134', { Loss: 0.2134 }],
    ['N/total step plus a plain one', 'Epoch [2/5] step=1300 loss=0.2', { loss: 0.2, '@step': 1300 }],
    ['sklearn MLP verbose', 'Iteration 12, loss = 0.31234567', { loss: 0.31234567, '@step': 12 }],
    ['YAML-ish single value', 'best_val_acc: 0.9312', { best_val_acc: 0.9312 }],
    ['Hydra / OmegaConf style tight colon', 'lr:0.001', { lr: 0.001 }],
    ['a URL with params after a real pair', 'loss=0.5 see https://example.com/x?lr=0.1&batch=32', { loss: 0.5 }],
    ['spaced equals after a number', 'epoch 2 | loss = 0.3', { loss: 0.3, '@step': 2 }],
    ['negative step is not a step, the line still counts', 'step=-1 loss=2', { loss: 2 }],
  ];
  for (const [what, line, expected] of cases) {
    it(what, () => assert.deepEqual(scalars(line), expected, line));
  }
});

describe('parsePrintedScalars: never fooled', () => {
  const none: Array<[string, string]> = [
    ['prose with a colon', 'Error: file not found'],
    ['prose with a number after the colon', 'Error: 3 files not found'],
    ['a word after the value', 'Loaded: 50000 examples from disk'],
    ['phrase before the colon', 'Number of parameters: 1234567'],
    ['a longer phrase', 'the average loss: 0.5'],
    ['a two-word key that is not qualified', 'peak memory: 1024'],
    ['HF startup banner', '  Num examples = 60000'],
    ['HF startup banner 2', '  Instantaneous batch size per device = 8'],
    ['a timestamp', '2024-01-02 10:11:12 starting training'],
    ['a time value', 'time: 10:11:12'],
    ['a date value', 'date: 2024-01-02'],
    ['a version', 'torch version: 1.13.1'],
    ['a version pair', 'python_version=3.11.2'],
    ['a pip pin', 'torch==1.13.1'],
    ['a v-version', 'mlw v1.2.3 ready'],
    ['a scheduler name', 'lr_scheduler: StepLR'],
    ['an IP address', 'addr=192.168.1.20 connected'],
    ['a host and port', 'Listening on localhost:8080'],
    ['a port', 'port: 6006'],
    ['a pid', 'worker started, pid: 4242'],
    ['a URL', 'Downloading https://example.com/data?lr=0.1&n=3 to /tmp/x'],
    ['a path with k=v parts', 'saved /runs/lr=0.1/epoch=3.ckpt'],
    [
      'a Lightning checkpoint name',
      "Epoch 3, global step 400: 'val_loss' reached 0.41 (best 0.41), saving model to 'epoch=3-step=400.ckpt'",
    ],
    ['a traceback location', '  File "/home/u/train.py", line 42, in <module>'],
    ['a Python warning', '/usr/lib/python3/dist-packages/torch/nn/functional.py:1234: UserWarning: Implicit dimension choice, use dim=X'],
    ['units after the value', 'elapsed: 12.5s'],
    ['hex', 'flags=0x1f'],
    ['thousands separator', 'samples: 60,000'],
    ['argparse Namespace', 'Namespace(lr=0.01, epochs=5, batch_size=32)'],
    ['only a step', 'Epoch 1/10'],
    ['only a step pair', "{'epoch': 3.0}"],
    ['Keras checkpoint message', 'Epoch 00003: val_loss improved from 0.52000 to 0.48000, saving model to model.h5'],
    ['an eta', 'eta: 0:01:02'],
    ['a comparison', 'if x == 3 or y >= 4'],
    ['nan inside a word', 'mode: nano'],
    ['inf inside a word', 'level: infinite'],
    ['a name starting with a digit', '3d_loss=0.5'],
  ];
  for (const [what, line] of none) {
    it(`gives nothing: ${what}`, () => assert.equal(scalars(line), undefined, line));
  }

  it('ignores tqdm progress bars, including their postfix pairs', () => {
    for (const line of [
      ' 45%|████▌     | 45/100 [00:01<00:01, 40.12it/s, loss=0.532]',
      'Epoch 0: 100%|██████████| 32/32 [00:01<00:00, 25.30it/s, v_num=0, train_loss=0.512]',
      'Training:  10%|█         | 1/10 [00:02<00:18,  2.01s/it]',
      '123it [00:01, 100.00it/s, loss=0.3]',
      'Epoch 0/9 ━━━━━━━━━━━━━━━━ 32/32 0:00:01 • 0:00:00 25.10it/s v_num: 0 train_loss: 0.500',
      'Downloading model.bin: 45.2MB/s loss=3',
    ])
      assert.equal(scalars(line), undefined, line);
  });

  it('ignores lines longer than MAX_SCALAR_LINE', () => {
    const line = `loss=0.5 ${'x'.repeat(MAX_SCALAR_LINE)}`;
    assert.equal(scalars(line), undefined);
    assert.deepEqual(scalars(`loss=0.5 ${'x'.repeat(MAX_SCALAR_LINE - 20)}`), { loss: 0.5 });
  });

  it('reads dict output as metrics: the decision for HF-style and json.dumps lines', () => {
    assert.deepEqual(scalars("{'loss': 0.5}"), { loss: 0.5 });
    assert.deepEqual(scalars('{"accuracy": 0.93, "f1": 0.91, "name": "model-a"}'), { accuracy: 0.93, f1: 0.91 });
  });
});
