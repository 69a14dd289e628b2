import { invalidParameter } from './mlflowErrors';
import { optionalInt64, optionalString, type MlflowInput } from './mlflowInput';

/**
 * One page of `items` for a request's `max_results` and `page_token` (an opaque token: the offset,
 * base64), and the token of the next page when there is one.
 */
export function pageOf<T>(items: T[], input: MlflowInput, defaultSize: number, maxSize: number): { page: T[]; next?: string } {
  const size = optionalInt64(input, 'max_results') ?? defaultSize;
  if (size < 1 || size > maxSize)
    throw invalidParameter(`Invalid value for parameter 'max_results' supplied. It must be at most ${maxSize}, but got value ${size}`);
  const token = optionalString(input, 'page_token');
  const offset = token ? Number(Buffer.from(token, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(offset) || offset < 0) throw invalidParameter(`Invalid page token '${token}'.`);
  const page = items.slice(offset, offset + size);
  return offset + size < items.length ? { page, next: Buffer.from(String(offset + size)).toString('base64') } : { page };
}
