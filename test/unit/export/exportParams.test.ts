import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  completeRequest,
  defaultOutputPath,
  formatDynamicAxes,
  formatInputShapes,
  isExportError,
  parseClassName,
  parseDynamicAxes,
  parseInputShapes,
  parseKwargs,
  parseNames,
  parseOpset,
  scriptParams,
  type ExportRequest,
} from '../../../src/core/export';

const badParameter = (f: () => unknown, pattern: RegExp): void =>
  assert.throws(f, (e: unknown) => isExportError(e) && e.kind === 'bad-parameter' && pattern.test(e.message));

test('input shapes: one or several (;), dtype after a colon, float32 by default', () => {
  assert.deepEqual(parseInputShapes('1,3,224,224'), [{ shape: [1, 3, 224, 224], dtype: 'float32' }]);
  assert.deepEqual(parseInputShapes(' 1, 16 : int64 ; [1,16]:INT64;1x4'), [
    { shape: [1, 16], dtype: 'int64' },
    { shape: [1, 16], dtype: 'int64' },
    { shape: [1, 4], dtype: 'float32' },
  ]);
  assert.deepEqual(parseInputShapes('1:bool'), [{ shape: [1], dtype: 'bool' }]);
  assert.equal(formatInputShapes(parseInputShapes('1,16:int64; 2,3')), '1,16:int64; 2,3');
  badParameter(() => parseInputShapes(''), /expected e\.g\. 1,3,224,224/);
  badParameter(() => parseInputShapes('1,3;'), /expected e\.g\./);
  badParameter(() => parseInputShapes('1,a'), /whole numbers/);
  badParameter(() => parseInputShapes('1,-3'), /whole numbers/);
  badParameter(() => parseInputShapes('1,3:complex64'), /dtype "complex64"/);
});

test('dynamic axes: NAME:AXIS=LABEL, or AXIS=LABEL for every input and output', () => {
  assert.deepEqual(parseDynamicAxes('input:0=batch, output:0=batch'), [
    { tensor: 'input', axis: 0, label: 'batch' },
    { tensor: 'output', axis: 0, label: 'batch' },
  ]);
  assert.deepEqual(parseDynamicAxes('0=batch'), [{ tensor: '*', axis: 0, label: 'batch' }]);
  assert.deepEqual(parseDynamicAxes('onnx::Gemm_1:2=seq'), [{ tensor: 'onnx::Gemm_1', axis: 2, label: 'seq' }]);
  assert.deepEqual(parseDynamicAxes('  '), []);
  assert.equal(formatDynamicAxes(parseDynamicAxes('0=batch,ids:1=seq')), '0=batch, ids:1=seq');
  for (const bad of ['input:0', 'input:x=batch', 'input:0=', 'input:0=two words', ':0=b'])
    badParameter(() => parseDynamicAxes(bad), /expected NAME:AXIS=LABEL/);
});

test('class path, kwargs, names, opset, default output', () => {
  assert.equal(parseClassName(' models.net:Net '), 'models.net:Net');
  assert.equal(parseClassName('m:Outer.Inner'), 'm:Outer.Inner');
  for (const bad of ['models.net.Net', 'net:', ':Net', 'os; import x:Net', 'a-b:Net'])
    badParameter(() => parseClassName(bad), /expected module\.path:ClassName/);
  assert.deepEqual(parseKwargs(''), {});
  assert.deepEqual(parseKwargs('{"classes": 3, "name": "x"}'), { classes: 3, name: 'x' });
  badParameter(() => parseKwargs('[1]'), /JSON object/);
  badParameter(() => parseKwargs('{classes: 3}'), /not JSON/);
  assert.deepEqual(parseNames('ids, mask', 'inputs'), ['ids', 'mask']);
  assert.deepEqual(parseNames('', 'inputs'), []);
  badParameter(() => parseNames('a,a', 'inputs'), /"a" is named twice/);
  badParameter(() => parseNames('a,,b', 'inputs'), /separated by commas/);
  assert.equal(parseOpset('17'), 17);
  badParameter(() => parseOpset('6'), /from 7 to 21/);
  badParameter(() => parseOpset('17.5'), /from 7 to 21/);
  assert.equal(defaultOutputPath('/w/models/resnet.pth'), '/w/models/resnet.onnx');
  assert.equal(defaultOutputPath('/w/m.PT'), '/w/m.onnx');
});

const base: ExportRequest = {
  file: '/w/m.pt',
  kind: 'torchscript',
  inputs: [{ shape: [1, 4], dtype: 'float32' }],
  output: '/w/m.onnx',
  workspace: '/w',
};

test('a request gets its defaults and is checked against its own inputs', () => {
  const c = completeRequest(base);
  assert.deepEqual([c.inputNames, c.outputNames, c.dynamicAxes, c.opset], [['input'], [], [], 17]);
  assert.deepEqual(completeRequest({ ...base, inputs: [...base.inputs, ...base.inputs] }).inputNames, ['input_0', 'input_1']);
  badParameter(() => completeRequest({ ...base, kind: 'state-dict' }), /needs its model class/);
  badParameter(() => completeRequest({ ...base, kind: 'pickle' as never }), /kind "pickle"/);
  badParameter(() => completeRequest({ ...base, inputs: [] }), /at least one/);
  badParameter(() => completeRequest({ ...base, inputNames: ['a', 'b'] }), /2 input names \(a, b\) for 1 input shapes/);
  badParameter(() => completeRequest({ ...base, outputNames: ['input'] }), /names both an input and an output/);
  badParameter(() => completeRequest({ ...base, dynamicAxes: [{ tensor: 'input', axis: 2, label: 'b' }] }), /input has 2 dimensions/);
  badParameter(
    () => completeRequest({ ...base, outputNames: ['y'], dynamicAxes: [{ tensor: 'z', axis: 0, label: 'b' }] }),
    /not an input \(input\) nor an output \(y\)/,
  );
  badParameter(() => completeRequest({ ...base, output: '/w/m.pt' }), /expected a \.onnx file/);
});

test('what the user typed reaches the script as JSON data, with the temporary output', () => {
  const params = scriptParams(
    { ...base, kind: 'state-dict', className: 'm:Net', kwargs: { note: '"); import os #' }, inputNames: ['x"y'] },
    '/w/.m.onnx.1234.partial',
  );
  assert.deepEqual(params, {
    file: '/w/m.pt',
    kind: 'state-dict',
    className: 'm:Net',
    kwargs: { note: '"); import os #' },
    inputs: [{ shape: [1, 4], dtype: 'float32' }],
    inputNames: ['x"y'],
    outputNames: [],
    dynamicAxes: [],
    opset: 17,
    output: '/w/.m.onnx.1234.partial',
    workspace: '/w',
  });
});
