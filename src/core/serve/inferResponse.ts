/** Writes the inference response: JSON, or a JSON header followed by binary outputs (binary tensor data extension). */
import { encodeBinaryTensor } from './binaryExtension';
import type { HostTensor } from './datatypes';
import { encodeJsonData } from './tensorCodec';

export interface ResponseOutput {
  name: string;
  tensor: HostTensor;
  binary: boolean;
}

export interface EncodedResponse {
  /** A string for JSON responses: node:http then writes headers and body in one write (a Buffer costs a writev). */
  body: string | Buffer;
  contentType: string;
  /** Set when binary outputs follow the JSON header. */
  headerLength?: number;
}

export function encodeInferResponse(
  modelName: string,
  modelVersion: string,
  id: string | undefined,
  outputs: readonly ResponseOutput[],
): EncodedResponse {
  const binaries: Buffer[] = [];
  const parts: string[] = [];
  for (const o of outputs) {
    const t = o.tensor;
    const head = `{"name":${JSON.stringify(o.name)},"datatype":"${t.datatype}","shape":[${t.shape.join(',')}]`;
    if (o.binary) {
      const bytes = encodeBinaryTensor(t.datatype, t.data);
      binaries.push(bytes);
      parts.push(`${head},"parameters":{"binary_data_size":${bytes.length}}}`);
    } else parts.push(`${head},"data":${encodeJsonData(t.datatype, t.data)}}`);
  }
  const json =
    `{"model_name":${JSON.stringify(modelName)},"model_version":${JSON.stringify(modelVersion)}` +
    (id !== undefined ? `,"id":${JSON.stringify(id)}` : '') +
    `,"outputs":[${parts.join(',')}]}`;
  if (binaries.length === 0) return { body: json, contentType: 'application/json' };
  const header = Buffer.from(json, 'utf8');
  return { body: Buffer.concat([header, ...binaries]), contentType: 'application/octet-stream', headerLength: header.length };
}
