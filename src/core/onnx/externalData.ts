/**
 * External tensor data (data_location = EXTERNAL): where it is and whether it may be read.
 * A location must stay inside the model's folder: absolute paths, `..` segments, and symlinks resolving
 * outside the folder are rejected.
 */
import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import { OnnxFormatError } from './onnxFormatError';
import type { TensorRef } from './tensorRef';

export interface ExternalDataInfo {
  location: string;
  offset: number;
  /** Undefined when the entry leaves it out (then: to the end of the file, or what the dims need). */
  length?: number;
  checksum?: string;
}

/** Parses and checks a tensor's external_data entries (location is required; offset/length are decimal integers). */
export function externalDataInfo(ref: TensorRef): ExternalDataInfo {
  const entries = ref.externalData;
  const location = Object.prototype.hasOwnProperty.call(entries, 'location') ? entries.location : undefined;
  if (location === undefined || location === '') {
    throw new OnnxFormatError(`tensor '${ref.name}' has external data without a location at offset ${ref.offset}`, ref.offset);
  }
  const number = (key: string): number | undefined => {
    if (!Object.prototype.hasOwnProperty.call(entries, key)) return undefined;
    const text = entries[key];
    const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(value)) {
      throw new OnnxFormatError(
        `tensor '${ref.name}' has an invalid external data ${key} '${text.slice(0, 40)}' at offset ${ref.offset}`,
        ref.offset,
      );
    }
    return value;
  };
  const info: ExternalDataInfo = { location, offset: number('offset') ?? 0 };
  const length = number('length');
  if (length !== undefined) info.length = length;
  if (Object.prototype.hasOwnProperty.call(entries, 'checksum')) info.checksum = entries.checksum;
  return info;
}

/** Rejects locations that could name a file outside the model folder, without touching the file system. */
export function checkLocation(location: string, at: number): void {
  const problem = location.includes('\0')
    ? 'contains a NUL byte'
    : isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location.startsWith('\\')
      ? 'is an absolute path'
      : location.split(/[\\/]/).includes('..')
        ? "contains a '..' segment"
        : undefined;
  if (problem !== undefined) {
    throw new OnnxFormatError(
      `external data location '${location.slice(0, 200)}' ${problem}: it must be a path inside the model folder (offset ${at})`,
      at,
    );
  }
}

/**
 * Resolves a location against the model's folder and returns the real path of the file, after checking that
 * it is a regular file inside the folder once symlinks are resolved.
 */
export async function resolveExternalLocation(modelPath: string, location: string, at: number): Promise<string> {
  checkLocation(location, at);
  const folder = await realpath(dirname(modelPath));
  let real: string;
  try {
    real = await realpath(join(folder, location));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new OnnxFormatError(`external data file '${location}' cannot be opened (${code}) (offset ${at})`, at, { cause: error });
  }
  const prefix = folder.endsWith(sep) ? folder : folder + sep;
  if (!real.startsWith(prefix)) {
    throw new OnnxFormatError(
      `external data location '${location}' resolves outside the model folder (symlink to ${real}) (offset ${at})`,
      at,
    );
  }
  const info = await stat(real);
  if (!info.isFile()) throw new OnnxFormatError(`external data location '${location}' is not a regular file (offset ${at})`, at);
  return real;
}
