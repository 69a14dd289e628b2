/**
 * An edited model as a tree of pieces: byte ranges copied from the source file, newly encoded bytes (made up
 * front, or lazily when the writer reaches them), and sub-messages (a key, a length, then their own pieces).
 * Sizes are known without reading any byte, so length prefixes are written first and the tensor data is then
 * streamed straight from the source.
 */
import { keySize, varintSize } from '../../protobuf/protobufWriter';

export type Piece =
  | { kind: 'copy'; offset: number; length: number }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'message'; field: number; parts: Piece[]; size: number }
  /** Bytes made only when the writer reaches them (a rewritten tensor's values); `size` is known up front. */
  | { kind: 'lazy'; size: number; produce: () => Promise<Uint8Array> };

export const copyPiece = (offset: number, length: number): Piece => ({ kind: 'copy', offset, length });
export const bytesPiece = (bytes: Uint8Array): Piece => ({ kind: 'bytes', bytes });
export const lazyPiece = (size: number, produce: () => Promise<Uint8Array>): Piece => ({ kind: 'lazy', size, produce });

/** A length-delimited field `field` whose content is `parts`. */
export function messagePiece(field: number, parts: Piece[]): Piece {
  return { kind: 'message', field, parts, size: contentSize(parts) };
}

export function contentSize(parts: readonly Piece[]): number {
  let size = 0;
  for (const p of parts) size += pieceSize(p);
  return size;
}

/** Bytes the piece takes in the output, key and length included for messages. */
export function pieceSize(piece: Piece): number {
  switch (piece.kind) {
    case 'copy':
      return piece.length;
    case 'bytes':
      return piece.bytes.length;
    case 'lazy':
      return piece.size;
    case 'message':
      return keySize(piece.field) + varintSize(piece.size) + piece.size;
  }
}
