/**
 * Reads the engine's newline-delimited JSON progress streams (build, push, pull) item by item.
 * Every item is handed to `onItem`; the promise resolves when the stream ends and rejects when it errors.
 */
export interface ProgressItem {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { code?: number; message?: string };
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number };
  [key: string]: unknown;
}

export function readProgress(stream: NodeJS.ReadableStream, onItem: (item: ProgressItem) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let failed = false;
    const handle = (text: string) => {
      const trimmed = text.trim();
      if (!trimmed || failed) return;
      let item: ProgressItem;
      try {
        item = JSON.parse(trimmed) as ProgressItem;
      } catch {
        item = { stream: trimmed }; // a non-JSON line is kept as plain output
      }
      try {
        onItem(item);
      } catch (e) {
        failed = true;
        reject(e);
      }
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        handle(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      handle(buffered);
      if (!failed) resolve();
    });
    stream.on('close', () => {
      if (!failed) resolve();
    });
    stream.on('error', (e: Error) => {
      failed = true;
      reject(e);
    });
  });
}

/** The error text of an item, if it reports one. */
export function itemError(item: ProgressItem): string | undefined {
  if (item.errorDetail?.message) return item.errorDetail.message;
  if (typeof item.error === 'string' && item.error) return item.error;
  return undefined;
}
