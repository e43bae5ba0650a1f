/**
 * The AWS event-stream binary format (`application/vnd.amazon.eventstream`), as Bedrock streams use it.
 *
 * A frame: total length (u32), headers length (u32), prelude CRC32 (u32), headers, payload, message CRC32 (u32).
 * The decoder is incremental: it takes chunks as the network delivers them and hands back whole frames,
 * each with its exact bytes so a proxy can forward frames without re-encoding them. Checked against
 * `@smithy/eventstream-codec` and the shared test vectors in `__tests__/aws/eventstream*.test.ts`.
 */
import { crc32 } from 'node:zlib';

/** A header value, typed as on the wire (the same shape as the AWS SDK's, with `long` as a `bigint`). */
export type EventStreamHeaderValue =
  | { readonly type: 'boolean'; readonly value: boolean }
  | { readonly type: 'byte'; readonly value: number }
  | { readonly type: 'short'; readonly value: number }
  | { readonly type: 'integer'; readonly value: number }
  | { readonly type: 'long'; readonly value: bigint }
  | { readonly type: 'binary'; readonly value: Uint8Array }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'timestamp'; readonly value: Date }
  | { readonly type: 'uuid'; readonly value: string };

/** Headers of one message, by name, in wire order. */
export type EventStreamHeaders = Record<string, EventStreamHeaderValue>;

/** One event-stream message. */
export interface EventStreamMessage {
  readonly headers: EventStreamHeaders;
  readonly body: Uint8Array;
}

/** A decoded message with the exact bytes of its frame. `raw` and `body` may share memory with the input chunk. */
export interface EventStreamFrame extends EventStreamMessage {
  readonly raw: Uint8Array;
}

/** Size limits that protect the decoder from hostile or corrupt length fields. */
export interface EventStreamLimits {
  /** Largest accepted frame, prelude and CRCs included. Default 16 MiB, the format's own maximum. */
  readonly maxFrameBytes?: number;
  /** Largest accepted header block. Default 128 KiB, the format's own maximum. */
  readonly maxHeaderBytes?: number;
}

/** Why a byte stream is not a valid event stream. */
export type EventStreamErrorCode =
  | 'prelude-checksum'
  | 'message-checksum'
  | 'frame-too-short'
  | 'frame-too-large'
  | 'headers-too-large'
  | 'corrupt-headers'
  | 'truncated';

/** A corrupt or truncated event stream. `frameOffset` is the stream position where the bad frame starts. */
export class EventStreamError extends Error {
  override readonly name = 'EventStreamError';
  constructor(
    readonly code: EventStreamErrorCode,
    message: string,
    readonly frameOffset: number,
  ) {
    super(message);
  }
}

const PRELUDE_BYTES = 12;
const CRC_BYTES = 4;
const OVERHEAD_BYTES = PRELUDE_BYTES + CRC_BYTES;
const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_HEADER_BYTES = 128 * 1024;
const NO_FRAMES: readonly EventStreamFrame[] = Object.freeze([]);

const enum HeaderType {
  BoolTrue = 0,
  BoolFalse = 1,
  Byte = 2,
  Short = 3,
  Integer = 4,
  Long = 5,
  Binary = 6,
  String = 7,
  Timestamp = 8,
  Uuid = 9,
}

/**
 * Incremental event-stream decoder.
 *
 * Feed it chunks with {@link push}; it returns the frames those bytes completed, in order. On corrupt input
 * it still returns the frames decoded before the corruption, sets {@link error} and decodes nothing more
 * (framing is lost after a bad frame). Call {@link end} when the input ends to detect a truncated last frame.
 */
export class EventStreamDecoder {
  private readonly maxFrameBytes: number;
  private readonly maxHeaderBytes: number;
  /**
   * The frame being assembled across chunks, as views of the chunks: memory grows with the bytes actually
   * received, never with the length a (possibly hostile) prelude announces.
   */
  private parts: Buffer[] = [];
  private partialFilled = 0;
  /** Length of the frame being assembled; 0 while its prelude is incomplete. */
  private expectedLength = 0;
  private consumed = 0;
  private failure: EventStreamError | undefined;

  constructor(limits: EventStreamLimits = {}) {
    this.maxFrameBytes = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  }

  /** The error that stopped decoding, if any. */
  get error(): EventStreamError | undefined {
    return this.failure;
  }

  /** Bytes received that belong to a frame not yet complete. */
  get pendingBytes(): number {
    return this.partialFilled;
  }

  /** Decodes the frames completed by `chunk`. Never throws on bad input: see {@link error}. */
  push(chunk: Uint8Array): readonly EventStreamFrame[] {
    if (this.failure) return NO_FRAMES;
    const bytes = asBuffer(chunk);
    let frames: EventStreamFrame[] | undefined;
    let position = 0;
    while (position < bytes.length) {
      if (this.partialFilled === 0) {
        // Fast path: a frame wholly inside this chunk is decoded in place, without copying.
        const available = bytes.length - position;
        if (available >= PRELUDE_BYTES) {
          const frameLength = this.checkPrelude(bytes, position);
          if (frameLength === undefined) break;
          if (available >= frameLength) {
            const frame = this.decodeFrame(bytes.subarray(position, position + frameLength));
            if (!frame) break;
            (frames ??= []).push(frame);
            position += frameLength;
            continue;
          }
          this.expectedLength = frameLength;
        }
      }
      const target = this.expectedLength || PRELUDE_BYTES;
      const taken = Math.min(target - this.partialFilled, bytes.length - position);
      this.parts.push(bytes.subarray(position, position + taken));
      this.partialFilled += taken;
      position += taken;
      if (this.partialFilled < target) break;
      if (this.expectedLength === 0) {
        const frameLength = this.checkPrelude(Buffer.concat(this.parts, PRELUDE_BYTES), 0);
        if (frameLength === undefined) break;
        this.expectedLength = frameLength;
        continue;
      }
      const raw = Buffer.concat(this.parts, this.expectedLength);
      this.resetPartial();
      const frame = this.decodeFrame(raw);
      if (!frame) break;
      (frames ??= []).push(frame);
    }
    return frames ?? NO_FRAMES;
  }

  /** Declares the end of input. Returns (and records) an error if it ended inside a frame. */
  end(): EventStreamError | undefined {
    if (!this.failure && this.partialFilled > 0) {
      const expected = this.expectedLength > 0 ? ` of ${this.expectedLength}` : '';
      this.fail('truncated', `stream ended inside a frame: ${this.partialFilled}${expected} bytes received`);
    }
    return this.failure;
  }

  private resetPartial(): void {
    this.parts = [];
    this.partialFilled = 0;
    this.expectedLength = 0;
  }

  /** Validates the prelude at `offset`; returns the frame length, or undefined after recording the failure. */
  private checkPrelude(bytes: Buffer, offset: number): number | undefined {
    const frameLength = bytes.readUInt32BE(offset);
    const headerLength = bytes.readUInt32BE(offset + 4);
    if (preludeCrc32(bytes, offset) !== bytes.readUInt32BE(offset + 8)) {
      return this.fail('prelude-checksum', 'prelude checksum mismatch');
    }
    if (frameLength < OVERHEAD_BYTES) {
      return this.fail('frame-too-short', `frame length ${frameLength} is shorter than the ${OVERHEAD_BYTES}-byte overhead`);
    }
    if (frameLength > this.maxFrameBytes) {
      return this.fail('frame-too-large', `frame length ${frameLength} exceeds the limit of ${this.maxFrameBytes} bytes`);
    }
    if (headerLength > this.maxHeaderBytes) {
      return this.fail('headers-too-large', `header length ${headerLength} exceeds the limit of ${this.maxHeaderBytes} bytes`);
    }
    if (headerLength > frameLength - OVERHEAD_BYTES) {
      return this.fail('corrupt-headers', `header length ${headerLength} does not fit in a ${frameLength}-byte frame`);
    }
    return frameLength;
  }

  private decodeFrame(raw: Buffer): EventStreamFrame | undefined {
    const end = raw.length - CRC_BYTES;
    // The prelude's CRC was checked already: continue from it rather than hash those bytes again.
    if (crc32(raw.subarray(8, end), preludeCrc32(raw, 0)) !== raw.readUInt32BE(end)) {
      return this.fail('message-checksum', 'message checksum mismatch');
    }
    const headerEnd = PRELUDE_BYTES + raw.readUInt32BE(4);
    const headers = decodeHeaders(raw, PRELUDE_BYTES, headerEnd);
    if (typeof headers === 'string') return this.fail('corrupt-headers', headers);
    this.consumed += raw.length;
    return { headers, body: raw.subarray(headerEnd, end), raw };
  }

  private fail(code: EventStreamErrorCode, message: string): undefined {
    this.failure = new EventStreamError(code, `Corrupt event stream at byte ${this.consumed}: ${message}`, this.consumed);
    this.resetPartial();
    return undefined;
  }
}

/** The CRC-32 lookup table (IEEE polynomial, reflected), for the 8-byte prelude. */
const CRC_TABLE = new Int32Array(256).map((_, index) => {
  let crc = index;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc;
});

/**
 * CRC-32 of the 8 length bytes of a prelude. In JavaScript because, for 8 bytes, a call into zlib costs
 * several times the computation; longer spans go to `zlib.crc32`.
 */
function preludeCrc32(bytes: Buffer, offset: number): number {
  let crc = -1;
  for (let index = offset; index < offset + 8; index++) {
    crc = (CRC_TABLE[(crc ^ (bytes[index] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ -1) >>> 0;
}

const INTERN_MAX_BYTES = 32;
const INTERN_SLOTS = 256;
const internedBytes: Array<Buffer | undefined> = new Array(INTERN_SLOTS);
const internedText: string[] = new Array(INTERN_SLOTS);

/**
 * Decodes short UTF-8 text through a small cache. Bedrock streams repeat a handful of header names and values
 * (`:event-type`, `chunk`, `application/json`...) in every frame; comparing a few bytes is cheaper than decoding.
 */
function decodeText(bytes: Buffer, start: number, end: number): string {
  const length = end - start;
  if (length > INTERN_MAX_BYTES) return bytes.toString('utf8', start, end);
  let hash = length;
  for (let index = start; index < end; index++) hash = (Math.imul(hash, 31) + (bytes[index] as number)) | 0;
  const slot = hash & (INTERN_SLOTS - 1);
  const cached = internedBytes[slot];
  if (cached !== undefined && cached.length === length) {
    let same = true;
    for (let index = 0; index < length && same; index++) same = cached[index] === bytes[start + index];
    if (same) return internedText[slot] as string;
  }
  const text = bytes.toString('utf8', start, end);
  internedBytes[slot] = Buffer.from(bytes.subarray(start, end));
  internedText[slot] = text;
  return text;
}

/** Decodes a whole header block, or returns why it is corrupt. */
function decodeHeaders(bytes: Buffer, start: number, end: number): EventStreamHeaders | string {
  const headers: EventStreamHeaders = {};
  let position = start;
  while (position < end) {
    const nameLength = bytes[position] as number;
    const nameEnd = position + 1 + nameLength;
    if (nameLength === 0 || nameEnd + 1 > end) return `header name at byte ${position} runs past the header block`;
    const name = decodeText(bytes, position + 1, nameEnd);
    const type = bytes[nameEnd] as number;
    position = nameEnd + 1;
    const value = decodeHeaderValue(bytes, type, position, end);
    if (typeof value === 'string') return `header "${name}": ${value}`;
    headers[name] = value.header;
    position = value.next;
  }
  return headers;
}

const FIXED_VALUE_BYTES: Partial<Record<HeaderType, number>> = {
  [HeaderType.BoolTrue]: 0,
  [HeaderType.BoolFalse]: 0,
  [HeaderType.Byte]: 1,
  [HeaderType.Short]: 2,
  [HeaderType.Integer]: 4,
  [HeaderType.Long]: 8,
  [HeaderType.Timestamp]: 8,
  [HeaderType.Uuid]: 16,
};

function decodeHeaderValue(
  bytes: Buffer,
  type: number,
  position: number,
  end: number,
): { header: EventStreamHeaderValue; next: number } | string {
  if (type === HeaderType.Binary || type === HeaderType.String) {
    if (position + 2 > end) return 'value length runs past the header block';
    const length = bytes.readUInt16BE(position);
    const next = position + 2 + length;
    if (next > end) return 'value runs past the header block';
    const header: EventStreamHeaderValue =
      type === HeaderType.String
        ? { type: 'string', value: decodeText(bytes, position + 2, next) }
        : { type: 'binary', value: bytes.subarray(position + 2, next) };
    return { header, next };
  }
  const size = FIXED_VALUE_BYTES[type as HeaderType];
  if (size === undefined) return `unknown value type ${type}`;
  const next = position + size;
  if (next > end) return 'value runs past the header block';
  switch (type as HeaderType) {
    case HeaderType.BoolTrue:
      return { header: { type: 'boolean', value: true }, next };
    case HeaderType.BoolFalse:
      return { header: { type: 'boolean', value: false }, next };
    case HeaderType.Byte:
      return { header: { type: 'byte', value: bytes.readInt8(position) }, next };
    case HeaderType.Short:
      return { header: { type: 'short', value: bytes.readInt16BE(position) }, next };
    case HeaderType.Integer:
      return { header: { type: 'integer', value: bytes.readInt32BE(position) }, next };
    case HeaderType.Long:
      return { header: { type: 'long', value: bytes.readBigInt64BE(position) }, next };
    case HeaderType.Timestamp:
      return { header: { type: 'timestamp', value: new Date(Number(bytes.readBigInt64BE(position))) }, next };
    default: {
      const hex = bytes.toString('hex', position, next);
      const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      return { header: { type: 'uuid', value: uuid }, next };
    }
  }
}

/** Encodes one message as a frame. Throws a `RangeError` for values the format cannot carry. */
export function encodeEventStreamMessage(message: EventStreamMessage): Buffer {
  const encodedHeaders: Array<[Buffer, EventStreamHeaderValue, Buffer | undefined]> = [];
  let headerLength = 0;
  for (const name in message.headers) {
    const header = message.headers[name] as EventStreamHeaderValue;
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length === 0 || nameBytes.length > 255) {
      throw new RangeError(`event-stream header name must be 1 to 255 bytes: "${name}"`);
    }
    const variable = variableValueBytes(name, header);
    headerLength += 1 + nameBytes.length + 1 + (variable ? 2 + variable.length : fixedValueBytes(header));
    encodedHeaders.push([nameBytes, header, variable]);
  }
  const frameLength = OVERHEAD_BYTES + headerLength + message.body.length;
  const frame = Buffer.allocUnsafe(frameLength);
  frame.writeUInt32BE(frameLength, 0);
  frame.writeUInt32BE(headerLength, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  let position = PRELUDE_BYTES;
  for (const [nameBytes, header, variable] of encodedHeaders) {
    position = frame.writeUInt8(nameBytes.length, position);
    position += nameBytes.copy(frame, position);
    position = writeHeaderValue(frame, position, header, variable);
  }
  frame.set(message.body, position);
  frame.writeUInt32BE(crc32(frame.subarray(0, frameLength - CRC_BYTES)), frameLength - CRC_BYTES);
  return frame;
}

function variableValueBytes(name: string, header: EventStreamHeaderValue): Buffer | undefined {
  let bytes: Buffer;
  if (header.type === 'string') bytes = Buffer.from(header.value, 'utf8');
  else if (header.type === 'binary') bytes = Buffer.from(header.value.buffer, header.value.byteOffset, header.value.byteLength);
  else return undefined;
  if (bytes.length > 0xffff) throw new RangeError(`event-stream header "${name}" exceeds 65535 bytes`);
  return bytes;
}

function fixedValueBytes(header: EventStreamHeaderValue): number {
  switch (header.type) {
    case 'boolean':
      return 0;
    case 'byte':
      return 1;
    case 'short':
      return 2;
    case 'integer':
      return 4;
    case 'uuid':
      return 16;
    default:
      return 8;
  }
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function writeHeaderValue(frame: Buffer, start: number, header: EventStreamHeaderValue, variable: Buffer | undefined): number {
  let position = start;
  switch (header.type) {
    case 'boolean':
      return frame.writeUInt8(header.value ? HeaderType.BoolTrue : HeaderType.BoolFalse, position);
    case 'byte':
      position = frame.writeUInt8(HeaderType.Byte, position);
      return frame.writeInt8(header.value, position);
    case 'short':
      position = frame.writeUInt8(HeaderType.Short, position);
      return frame.writeInt16BE(header.value, position);
    case 'integer':
      position = frame.writeUInt8(HeaderType.Integer, position);
      return frame.writeInt32BE(header.value, position);
    case 'long':
      position = frame.writeUInt8(HeaderType.Long, position);
      return frame.writeBigInt64BE(header.value, position);
    case 'timestamp':
      position = frame.writeUInt8(HeaderType.Timestamp, position);
      return frame.writeBigInt64BE(BigInt(header.value.getTime()), position);
    case 'uuid':
      if (!UUID_PATTERN.test(header.value)) throw new RangeError(`not a UUID: "${header.value}"`);
      position = frame.writeUInt8(HeaderType.Uuid, position);
      return position + frame.write(header.value.replace(/-/g, ''), position, 'hex');
    default: {
      const bytes = variable as Buffer;
      position = frame.writeUInt8(header.type === 'string' ? HeaderType.String : HeaderType.Binary, position);
      position = frame.writeUInt16BE(bytes.length, position);
      return position + bytes.copy(frame, position);
    }
  }
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
