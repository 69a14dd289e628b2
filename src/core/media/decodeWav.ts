/**
 * A WAV (RIFF/WAVE) reader: integer PCM of 8 (unsigned), 16, 24 or 32 bits and IEEE float of 32 or 64 bits, plain
 * or WAVE_FORMAT_EXTENSIBLE, any channel count. Samples become floats in [-1, 1): integers divided by 2^(bits-1).
 * Any other encoding (ADPCM, A-law, µ-law, MP3 in WAV...) is refused in one line naming it.
 */
import { readFile } from 'node:fs/promises';

export interface DecodedAudio {
  sampleRate: number;
  /** One array per channel. */
  channels: Float32Array[];
  /** "16-bit PCM", "32-bit float". */
  encoding: string;
}

export class AudioDecodeError extends Error {
  override name = 'AudioDecodeError';
}

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
};

export function decodeWav(bytes: Uint8Array, what = 'audio'): DecodedAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw new AudioDecodeError(`${what}: not a WAV file (no RIFF/WAVE header)`);
  let format: { code: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  let data: Uint8Array | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = bytes.subarray(at + 8, Math.min(at + 8 + size, bytes.length));
    if (id === 'fmt ') {
      if (body.length < 16) throw new AudioDecodeError(`${what}: corrupt WAV: fmt chunk of ${body.length} bytes`);
      const f = new DataView(body.buffer, body.byteOffset, body.byteLength);
      let code = f.getUint16(0, true);
      // WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
      if (code === 0xfffe && body.length >= 26) code = f.getUint16(24, true);
      format = {
        code,
        channels: f.getUint16(2, true),
        rate: f.getUint32(4, true),
        blockAlign: f.getUint16(12, true),
        bits: f.getUint16(14, true),
      };
    } else if (id === 'data') {
      data = body;
      if (body.length < size) break; // a truncated last chunk: read what is there
    }
    at += 8 + size + (size & 1);
  }
  if (!format) throw new AudioDecodeError(`${what}: corrupt WAV: no fmt chunk`);
  if (!data) throw new AudioDecodeError(`${what}: corrupt WAV: no data chunk`);
  const { code, channels: n, rate, bits } = format;
  const pcm = code === 1 && [8, 16, 24, 32].includes(bits);
  const float = code === 3 && (bits === 32 || bits === 64);
  if (!pcm && !float) {
    const name = FORMAT_NAMES[code] ?? (code === 1 || code === 3 ? `${bits}-bit ${code === 1 ? 'PCM' : 'float'}` : 'unknown');
    throw new AudioDecodeError(
      `${what}: WAV encoding ${name} (format 0x${code.toString(16).padStart(4, '0')}, ${bits} bits) is not supported; use 8/16/24/32-bit PCM or 32/64-bit float`,
    );
  }
  if (n < 1) throw new AudioDecodeError(`${what}: corrupt WAV: ${n} channels`);
  if (rate < 1) throw new AudioDecodeError(`${what}: corrupt WAV: sample rate ${rate}`);
  const bytesPer = bits / 8;
  const frame = bytesPer * n;
  const frames = Math.floor(data.length / frame);
  const d = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const channels = Array.from({ length: n }, () => new Float32Array(frames));
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < n; c++) {
      const at = i * frame + c * bytesPer;
      let v: number;
      if (float) v = bits === 32 ? d.getFloat32(at, true) : d.getFloat64(at, true);
      else if (bits === 8) v = (d.getUint8(at) - 128) / 128;
      else if (bits === 16) v = d.getInt16(at, true) / 32768;
      else if (bits === 24) v = ((d.getUint8(at) | (d.getUint8(at + 1) << 8) | (d.getInt8(at + 2) << 16)) >> 0) / 8388608;
      else v = d.getInt32(at, true) / 2147483648;
      channels[c][i] = v;
    }
  }
  return { sampleRate: rate, channels, encoding: `${bits}-bit ${float ? 'float' : 'PCM'}` };
}

export async function readWav(path: string): Promise<DecodedAudio> {
  return decodeWav(await readFile(path), path);
}

/** The average of the channels. */
export function mixToMono(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const out = new Float32Array(channels[0].length);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (const ch of channels) sum += ch[i];
    out[i] = sum / channels.length;
  }
  return out;
}
