/** Export of PyTorch files to ONNX through the user's interpreter: re-exports only. */
export { exportToOnnx, type ExportOptions, type ExportResult, type ExportTensor } from './exportToOnnx';
export { ExportError, isExportError, type ExportErrorKind } from './exportError';
export {
  DEFAULT_OPSET,
  EXPORT_DTYPES,
  EXPORT_KINDS,
  completeRequest,
  defaultInputNames,
  defaultOutputPath,
  formatDynamicAxes,
  formatInputShapes,
  isExportKind,
  parseClassName,
  parseDynamicAxes,
  parseInputShapes,
  parseKwargs,
  parseNames,
  parseOpset,
  scriptParams,
  type DynamicAxis,
  type ExportDtype,
  type ExportKind,
  type ExportRequest,
  type InputSpec,
} from './exportParams';
export { suggestExportKind, type ExportKindGuess } from './suggestExportKind';
export { EXPORT_SCRIPT } from './exportScript';
