// safetensors reading and writing (https://huggingface.co/docs/safetensors): an 8-byte
// little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the raw
// little-endian tensor bytes. Each tensor is read straight into its own typed array, so loading
// never holds a second copy of the weights; conversion (F16 → fp32, fp32 → bf16) is done in
// bounded chunks for the same reason.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

export type SafetensorsDtype = 'F32' | 'BF16' | 'F16';
/** How a tensor is held in memory: fp32 values or bf16 bit patterns. */
export type MemoryDtype = 'f32' | 'bf16';

export interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the tensor data in the file. */
  offset: number;
  byteLength: number;
}

export interface SafetensorsHeader {
  path: string;
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, BF16: 2, F16: 2 };
/** The reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export class SafetensorsError extends Error {
  constructor(path: string, what: string) {
    super(`${path}: ${what}`);
    this.name = 'SafetensorsError';
  }
}

export function readHeader(path: string): SafetensorsHeader {
  const fd = openSync(path, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    if (fileSize < 8) throw new SafetensorsError(path, `truncated file: ${fileSize} bytes, no header length`);
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER_BYTES) {
      throw new SafetensorsError(path, `header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
    }
    if (8 + headerLen > fileSize) {
      throw new SafetensorsError(path, `truncated file: header says ${headerLen} bytes but the file has ${fileSize - 8}`);
    }
    const headerBuf = Buffer.alloc(headerLen);
    readSync(fd, headerBuf, 0, headerLen, 8);
    let json: unknown;
    try {
      json = JSON.parse(headerBuf.toString('utf8'));
    } catch (err) {
      throw new SafetensorsError(path, `malformed header JSON (${(err as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new SafetensorsError(path, 'malformed header: expected a JSON object');
    }
    const dataStart = 8 + headerLen;
    const tensors = new Map<string, TensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
      if (name === '__metadata__') {
        metadata = (raw ?? {}) as Record<string, string>;
        continue;
      }
      tensors.set(name, parseEntry(path, name, raw, dataStart, fileSize));
    }
    return { path, tensors, metadata };
  } finally {
    closeSync(fd);
  }
}

function parseEntry(path: string, name: string, raw: unknown, dataStart: number, fileSize: number): TensorInfo {
  const bad = (what: string) => new SafetensorsError(path, `tensor '${name}': ${what}`);
  if (typeof raw !== 'object' || raw === null) throw bad('entry is not an object');
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in BYTES)) {
    throw bad(`unsupported dtype ${JSON.stringify(dtype)} (supported: F32, BF16, F16)`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw bad(`malformed shape ${JSON.stringify(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw bad(`malformed data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const numel = (shape as number[]).reduce((a, b) => a * b, 1);
  const byteLength = numel * BYTES[dtype as SafetensorsDtype];
  if (end - begin !== byteLength) {
    throw bad(`data_offsets [${begin}, ${end}] hold ${end - begin} bytes but shape [${shape}] ${dtype} needs ${byteLength}`);
  }
  if (dataStart + end > fileSize) {
    throw bad(`truncated file: data ends at byte ${dataStart + end} but the file has ${fileSize}`);
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], offset: dataStart + begin, byteLength };
}

const CHUNK_ELEMENTS = 1 << 20;

/**
 * Reads one tensor into a new typed array held as `want` (fp32 → Float32Array, bf16 →
 * Uint16Array of bf16 bits). Same-dtype reads go straight from the file into the result.
 */
export function readTensor(info: TensorInfo, path: string, want: MemoryDtype): Float32Array | Uint16Array {
  const numel = info.byteLength / BYTES[info.dtype];
  const fd = openSync(path, 'r');
  try {
    if (info.dtype === 'F32' && want === 'f32') {
      const out = new Float32Array(numel);
      readFully(fd, new Uint8Array(out.buffer), info.offset, path, info.name);
      return out;
    }
    if (info.dtype === 'BF16' && want === 'bf16') {
      const out = new Uint16Array(numel);
      readFully(fd, new Uint8Array(out.buffer), info.offset, path, info.name);
      return out;
    }
    // Convert chunk by chunk so the peak stays near the size of the result.
    const out = want === 'f32' ? new Float32Array(numel) : new Uint16Array(numel);
    const srcBytes = BYTES[info.dtype];
    const chunk = new Uint8Array(Math.min(numel, CHUNK_ELEMENTS) * srcBytes);
    for (let start = 0; start < numel; start += CHUNK_ELEMENTS) {
      const count = Math.min(CHUNK_ELEMENTS, numel - start);
      const bytes = chunk.subarray(0, count * srcBytes);
      readFully(fd, bytes, info.offset + start * srcBytes, path, info.name);
      convertInto(info.dtype, bytes, count, out, start);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function readFully(fd: number, dst: Uint8Array, position: number, path: string, name: string): void {
  let done = 0;
  while (done < dst.length) {
    const n = readSync(fd, dst, done, Math.min(dst.length - done, 1 << 30), position + done);
    if (n === 0) throw new SafetensorsError(path, `tensor '${name}': truncated file while reading data`);
    done += n;
  }
}

function convertInto(
  src: SafetensorsDtype, bytes: Uint8Array, count: number, out: Float32Array | Uint16Array, start: number,
): void {
  if (src === 'F32') {
    const f = new Float32Array(bytes.buffer, bytes.byteOffset, count);
    f32ToBf16Into(f, out as Uint16Array, start);
  } else if (src === 'BF16') {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    const u = new Uint32Array(out.buffer, out.byteOffset + start * 4, count);
    for (let i = 0; i < count; i++) u[i] = h[i]! << 16;
  } else {
    const h = new Uint16Array(bytes.buffer, bytes.byteOffset, count);
    if (out instanceof Float32Array) {
      for (let i = 0; i < count; i++) out[start + i] = f16ToF32(h[i]!);
    } else {
      const tmp = new Float32Array(count);
      for (let i = 0; i < count; i++) tmp[i] = f16ToF32(h[i]!);
      f32ToBf16Into(tmp, out, start);
    }
  }
}

/** fp32 → bf16 bits with round-to-nearest-even (torch's .to(torch.bfloat16)); NaN stays NaN. */
export function f32ToBf16Into(src: Float32Array, dst: Uint16Array, start = 0): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const bits = u[i]!;
    dst[start + i] = (bits & 0x7fffffff) > 0x7f800000
      ? (bits >>> 16) | 0x40
      : (bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16;
  }
}

export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export interface TensorToWrite {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Uint16Array;
}

/** Writes tensors (in the given order) as a safetensors file; header padded to 8 bytes. */
export function writeSafetensors(
  path: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {},
): void {
  const entries = Object.entries(tensors).map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape }));
  writeSafetensorsStreaming(path, entries, (name) => tensors[name]!.data, metadata);
}

/**
 * Writes a safetensors file one tensor at a time: `produce(name)` is called in order and its
 * array written and released, so a file larger than memory can be made (random-init benchmarks).
 */
export function writeSafetensorsStreaming(
  path: string, entries: { name: string; dtype: SafetensorsDtype; shape: number[] }[],
  produce: (name: string) => Float32Array | Uint16Array, metadata: Record<string, string> = {},
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const { name, dtype, shape } of entries) {
    const bytes = shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(headerBytes.length));
    writeSync(fd, len);
    writeSync(fd, headerBytes);
    for (const { name, dtype, shape } of entries) {
      const data = produce(name);
      const numel = shape.reduce((a, b) => a * b, 1);
      const want = dtype === 'F32' ? Float32Array : Uint16Array;
      if (!(data instanceof want) || data.length !== numel) {
        throw new SafetensorsError(path, `tensor '${name}': ${dtype} [${shape}] needs a ${want.name} of ${numel} elements`);
      }
      writeSync(fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  } finally {
    closeSync(fd);
  }
}
