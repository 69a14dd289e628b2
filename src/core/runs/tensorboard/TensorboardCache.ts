import { promises as fsp } from 'node:fs';
import type { Logger } from '../../logger';
import { ProtobufFormatError } from '../../protobuf/protobufFormatError';
import type { MetricSeries } from '../readMetrics';
import { readTfRecords } from './readTfRecords';
import { ScalarEventDecoder } from './ScalarEventDecoder';

/** What is known of one events file: how far it was read and the scalars decoded so far. */
interface FileState {
  ino: number;
  /** File offset where the next read starts (after the last record consumed). */
  offset: number;
  size: number;
  decoder: ScalarEventDecoder;
  /** Offsets already warned about, so a re-read does not warn twice. */
  warned: Set<number>;
  used: number;
}

/** Stat of an events file, as the listing took it. */
export interface EventFileStat {
  file: string;
  ino: number;
  size: number;
  mtimeMs: number;
}

/**
 * Per-file read state of TensorBoard event files, so that a file a writer is appending to is read
 * incrementally: each refresh reads only the bytes after the last complete record. Files replaced or
 * truncated are read again from the start. Holds at most `maxPoints` decoded points, dropping the
 * least recently used files beyond that (they are read again when next asked for).
 */
export class TensorboardCache {
  private readonly files = new Map<string, FileState>();
  private clock = 0;

  constructor(private readonly maxPoints = 8_000_000) {}

  /** Whether the file is read up to `size` (its scalars are complete for that size). */
  isComplete(stat: EventFileStat): boolean {
    const s = this.files.get(stat.file);
    return s !== undefined && s.ino === stat.ino && s.offset >= stat.size && s.size === stat.size;
  }

  /** Bytes of the file not read yet. */
  unread(stat: EventFileStat): number {
    const s = this.files.get(stat.file);
    return s && s.ino === stat.ino && s.offset <= stat.size ? stat.size - s.offset : stat.size;
  }

  /** Wall time (epoch ms) of the file's first event, when the file has been read. */
  firstWallTime(file: string): number | undefined {
    return this.files.get(file)?.decoder.firstWallTime;
  }

  /** Reads what was appended to the file since the last refresh; returns its scalar series (views). */
  async refresh(stat: EventFileStat, logger: Logger, signal?: AbortSignal): Promise<Map<string, MetricSeries>> {
    let s = this.files.get(stat.file);
    if (!s || s.ino !== stat.ino || stat.size < s.offset) {
      s = { ino: stat.ino, offset: 0, size: 0, decoder: new ScalarEventDecoder(), warned: new Set(), used: 0 };
      this.files.set(stat.file, s);
    }
    s.used = ++this.clock;
    if (stat.size > s.offset || s.size !== stat.size) {
      const state = s;
      const decoder = state.decoder;
      const scan = await readTfRecords(
        stat.file,
        (buf, start, end, offset) => {
          try {
            decoder.decode(buf, start, end, offset + 12);
          } catch (e) {
            if (!(e instanceof ProtobufFormatError)) throw e;
            this.warnOnce(state, stat.file, offset, `not a TensorBoard event (${e.message})`, logger);
          }
        },
        { from: state.offset, signal },
      );
      for (const p of scan.problems) this.warnOnce(state, stat.file, p.offset, `corrupt record skipped: ${p.message}`, logger);
      state.offset = scan.offset;
      state.size = scan.size;
      this.evict(stat.file);
    }
    return s.decoder.series();
  }

  private warnOnce(s: FileState, file: string, offset: number, message: string, logger: Logger): void {
    if (s.warned.has(offset)) return;
    s.warned.add(offset);
    logger.warn(`TensorBoard: ${file} at offset ${offset}: ${message}`);
  }

  private evict(keep: string): void {
    let total = 0;
    for (const s of this.files.values()) total += s.decoder.points;
    if (total <= this.maxPoints) return;
    const byAge = [...this.files.entries()].filter(([f]) => f !== keep).sort((a, b) => a[1].used - b[1].used);
    for (const [file, s] of byAge) {
      if (total <= this.maxPoints) break;
      total -= s.decoder.points;
      this.files.delete(file);
    }
  }

  /** Forgets every file (tests, or a workspace closed). */
  clear(): void {
    this.files.clear();
  }
}

/** The cache the extension host and the CLI share within one process. */
export const defaultTensorboardCache = new TensorboardCache();

/** Stat of `file` for the cache, or undefined when it is gone. */
export async function statEventFile(file: string): Promise<EventFileStat | undefined> {
  try {
    const st = await fsp.stat(file);
    return st.isFile() ? { file, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}
