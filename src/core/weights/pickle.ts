/**
 * A pickle reader that never executes anything: the opcodes (protocols 0-5) are run on a stack machine whose
 * values are plain data. GLOBAL / STACK_GLOBAL push a `PyGlobal` naming the callable, never importing it; REDUCE,
 * NEWOBJ and INST push a `PyCall` recording the callable and its arguments; BUILD records the state on it. What
 * a call means (an OrderedDict, a torch tensor) is left to the caller (torchCheckpoint.ts). Persistent ids go
 * to a callback (torch's storages).
 */
import { WeightsFormatError } from './weightsFormatError';

export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

/** A dict (dict, OrderedDict, defaultdict...): items in insertion order. */
export class PyDict {
  readonly items: [PyValue, PyValue][] = [];
  constructor(readonly cls = 'builtins.dict') {}
}

/** The result of calling a global (REDUCE / NEWOBJ / INST / OBJ): recorded, not performed. */
export class PyCall {
  state: PyValue = null;
  readonly listItems: PyValue[] = [];
  readonly dictItems: [PyValue, PyValue][] = [];
  constructor(
    readonly func: PyValue,
    readonly args: PyValue[],
  ) {}
}

export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
}

/** A value the caller's hooks made: what the persistent-load callback returns (torch storages), or a call's result. */
export class PyOpaque {
  constructor(readonly value: unknown) {}
}

export type PyValue = null | boolean | number | bigint | string | PyValue[] | PyTuple | PyDict | PyCall | PyGlobal | PyBytes | PyOpaque;

export interface PickleOptions {
  persistentLoad?: (pid: PyValue) => unknown;
  /** What a call becomes: return a value to use instead of the PyCall (e.g. an OrderedDict), or undefined. */
  onCall?: (func: PyValue, args: PyValue[]) => PyValue | undefined;
}

const MAX_MEMO = 10_000_000;

const latin1 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
const utf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

/** Runs the pickle in `data` and returns the value STOP leaves on the stack. */
export function loadPickle(data: Uint8Array, options: PickleOptions = {}): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const need = (n: number): void => {
    if (pos + n > data.length) throw new WeightsFormatError(`pickle ends early at byte ${pos} (needed ${n} more)`);
  };
  const bytes = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0) throw new WeightsFormatError(`invalid pickle length ${n} at byte ${pos}`);
    need(n);
    const out = data.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => (need(1), data[pos++]);
  const u16 = (): number => (need(2), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = (): number => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const i32 = (): number => (need(4), (pos += 4), view.getInt32(pos - 4, true));
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WeightsFormatError(`pickle length too large at byte ${pos - 8}`);
    return Number(v);
  };
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) throw new WeightsFormatError(`pickle text opcode without a newline at byte ${pos}`);
    const text = latin1(data.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const pop = (): PyValue => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1])) {
      throw new WeightsFormatError(`pickle stack underflow at byte ${pos}`);
    }
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    if (stack.length === 0) throw new WeightsFormatError(`pickle stack underflow at byte ${pos}`);
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const at = marks.pop();
    if (at === undefined) throw new WeightsFormatError(`pickle MARK missing at byte ${pos}`);
    const items = stack.splice(at) as PyValue[];
    return items;
  };
  const put = (index: number): void => {
    if (memo.size >= MAX_MEMO) throw new WeightsFormatError('pickle memo too large');
    memo.set(index, top());
  };
  const get = (index: number): void => {
    if (!memo.has(index)) throw new WeightsFormatError(`pickle memo ${index} missing at byte ${pos}`);
    stack.push(memo.get(index) as PyValue);
  };
  const call = (func: PyValue, args: PyValue[]): PyValue => options.onCall?.(func, args) ?? new PyCall(func, args);
  const setItems = (target: PyValue, flat: PyValue[]): void => {
    const items = target instanceof PyDict ? target.items : target instanceof PyCall ? target.dictItems : undefined;
    if (items === undefined) throw new WeightsFormatError(`pickle SETITEM on a non-dict at byte ${pos}`);
    for (let i = 0; i + 1 < flat.length; i += 2) items.push([flat[i], flat[i + 1]]);
  };
  const append = (target: PyValue, values: PyValue[]): void => {
    if (Array.isArray(target)) target.push(...values);
    else if (target instanceof PyCall) target.listItems.push(...values);
    else throw new WeightsFormatError(`pickle APPEND on a non-list at byte ${pos}`);
  };
  const long = (b: Uint8Array): number | bigint => {
    if (b.length === 0) return 0;
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(b.length * 8);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        u8();
        break;
      case 0x95: // FRAME
        u64();
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw new WeightsFormatError(`pickle STOP with ${stack.length} values on the stack`);
        return stack[0] as PyValue;
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (stack.length && marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4a: // BININT
        stack.push(i32());
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1
        stack.push(long(bytes(u8())));
        break;
      case 0x8b: // LONG4
        stack.push(long(bytes(i32())));
        break;
      case 0x49: {
        // INT (text): also True/False as 01/00
        const text = line();
        stack.push(text === '01' ? true : text === '00' ? false : Number(text));
        break;
      }
      case 0x4c: {
        // LONG (text)
        const text = line().replace(/L$/, '');
        const big = BigInt(text);
        stack.push(big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big);
        break;
      }
      case 0x47: // BINFLOAT (big-endian)
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x46: // FLOAT (text)
        stack.push(Number(line()));
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8(bytes(u8())));
        break;
      case 0x58: // BINUNICODE
        stack.push(utf8(bytes(u32())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8(bytes(u64())));
        break;
      case 0x56: // UNICODE (raw-unicode-escape text)
        stack.push(line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(latin1(bytes(u8())));
        break;
      case 0x54: // BINSTRING
        stack.push(latin1(bytes(i32())));
        break;
      case 0x53: {
        // STRING (quoted text)
        const text = line();
        stack.push(text.length >= 2 ? text.slice(1, -1) : text);
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(new PyBytes(bytes(u8())));
        break;
      case 0x42: // BINBYTES
        stack.push(new PyBytes(bytes(u32())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(new PyBytes(bytes(u64())));
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        append(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const values = popMark();
        append(top(), values);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x64: {
        // DICT
        const d = new PyDict();
        setItems(d, popMark());
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const flat = popMark();
        setItems(top(), flat);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push(new PyCall(new PyGlobal('builtins', 'set'), []));
        break;
      case 0x90: {
        // ADDITEMS
        const values = popMark();
        append(top(), values);
        break;
      }
      case 0x91: // FROZENSET
        stack.push(new PyCall(new PyGlobal('builtins', 'frozenset'), [popMark()]));
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(new PyGlobal(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw new WeightsFormatError(`pickle STACK_GLOBAL without names at byte ${at}`);
        stack.push(new PyGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const func = pop();
        stack.push(call(func, args instanceof PyTuple ? args.items : [args]));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args instanceof PyTuple ? args.items : [args]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs
        const args = pop();
        const cls = pop();
        stack.push(call(cls, args instanceof PyTuple ? args.items : [args]));
        break;
      }
      case 0x69: {
        // INST "module\nname\n" with MARKed args
        const module = line();
        const name = line();
        stack.push(call(new PyGlobal(module, name), popMark()));
        break;
      }
      case 0x6f: {
        // OBJ: MARK cls args...
        const [cls, ...args] = popMark();
        stack.push(call(cls ?? null, args));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const target = top();
        if (target instanceof PyCall) target.state = state;
        break;
      }
      case 0x51: // BINPERSID
        stack.push(new PyOpaque(options.persistentLoad ? options.persistentLoad(pop()) : pop()));
        break;
      case 0x50: // PERSID
        stack.push(new PyOpaque(options.persistentLoad ? options.persistentLoad(line()) : line()));
        break;
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(u32());
        break;
      case 0x70: // PUT
        put(Number(line()));
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
        get(u8());
        break;
      case 0x6a: // LONG_BINGET
        get(u32());
        break;
      case 0x67: // GET
        get(Number(line()));
        break;
      default:
        throw new WeightsFormatError(`pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} is not supported`);
    }
  }
}
