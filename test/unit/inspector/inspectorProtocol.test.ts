import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_NAME_LENGTH, parseInspectorMessage, tensorKey } from '../../../src/shared/inspectorProtocol';

const known = new Set([tensorKey('', 'w'), tensorKey('/3.body.0', 'w_inner')]);
const context = { hasTensor: (graphId: string, name: string) => known.has(tensorKey(graphId, name)) };

describe('parseInspectorMessage', () => {
  it('accepts the simple messages and drops extra fields', () => {
    assert.deepEqual(parseInspectorMessage({ type: 'ready', path: '/etc/passwd' }), { type: 'ready' });
    assert.deepEqual(parseInspectorMessage({ type: 'reload' }), { type: 'reload' });
    assert.deepEqual(parseInspectorMessage({ type: 'reopenWith', viewType: 'x' }), { type: 'reopenWith' });
  });

  it('rejects what is not a message', () => {
    for (const raw of [undefined, null, 1, 'ready', [], [{ type: 'ready' }], {}, { type: 'nope' }, { type: 'READY' }]) {
      assert.equal(parseInspectorMessage(raw, context), undefined, JSON.stringify(raw));
    }
  });

  it('accepts a statistics request for a tensor the model has', () => {
    assert.deepEqual(
      parseInspectorMessage({ type: 'requestTensorStats', requestId: 3, graphId: '', tensor: 'w', ref: { path: '/x' } }, context),
      {
        type: 'requestTensorStats',
        requestId: 3,
        graphId: '',
        tensor: 'w',
      },
    );
    assert.ok(parseInspectorMessage({ type: 'requestTensorStats', requestId: 0, graphId: '/3.body.0', tensor: 'w_inner' }, context));
  });

  it('rejects statistics requests for unknown tensors, wrong scopes or bad fields', () => {
    const bad: unknown[] = [
      { type: 'requestTensorStats', requestId: 1, graphId: '', tensor: 'missing' },
      { type: 'requestTensorStats', requestId: 1, graphId: '/3.body.0', tensor: 'w' },
      { type: 'requestTensorStats', requestId: 1, graphId: '', tensor: '' },
      { type: 'requestTensorStats', requestId: -1, graphId: '', tensor: 'w' },
      { type: 'requestTensorStats', requestId: 1.5, graphId: '', tensor: 'w' },
      { type: 'requestTensorStats', requestId: '1', graphId: '', tensor: 'w' },
      { type: 'requestTensorStats', requestId: 1, tensor: 'w' },
      { type: 'requestTensorStats', requestId: 1, graphId: '', tensor: ['w'] },
      { type: 'requestTensorStats', requestId: 1, graphId: '', tensor: 'w'.repeat(MAX_NAME_LENGTH + 1) },
    ];
    for (const raw of bad) assert.equal(parseInspectorMessage(raw, context), undefined, JSON.stringify(raw).slice(0, 120));
  });

  it('rejects statistics requests when no model is loaded', () => {
    assert.equal(parseInspectorMessage({ type: 'requestTensorStats', requestId: 1, graphId: '', tensor: 'w' }), undefined);
  });
});
