/**
 * The event-stream codec against the AWS SDK's (`@smithy/eventstream-codec`) on random messages, under random
 * re-chunking, and fed random or damaged bytes.
 */
import { EventStreamCodec, Int64, type Message, type MessageHeaderValue } from '@smithy/eventstream-codec';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import {
  EventStreamDecoder,
  encodeEventStreamMessage,
  type EventStreamFrame,
  type EventStreamHeaderValue,
  type EventStreamHeaders,
  type EventStreamMessage,
} from '../../lib/aws/eventstream';

const reference = new EventStreamCodec(
  (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

const headerValue: fc.Arbitrary<EventStreamHeaderValue> = fc.oneof(
  fc.boolean().map((value) => ({ type: 'boolean', value }) as const),
  fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'byte', value }) as const),
  fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'short', value }) as const),
  fc.integer().map((value) => ({ type: 'integer', value }) as const),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'long', value }) as const),
  fc.uint8Array({ maxLength: 64 }).map((value) => ({ type: 'binary', value }) as const),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((value) => ({ type: 'string', value }) as const),
  fc
    .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })
    .map((value) => ({ type: 'timestamp', value }) as const),
  fc.uuid().map((value) => ({ type: 'uuid', value }) as const),
);
const headerName = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 24 })
  .filter((name) => name !== '__proto__' && Buffer.byteLength(name) <= 255);
const message: fc.Arbitrary<EventStreamMessage> = fc.record({
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  body: fc.uint8Array({ maxLength: 1024 }),
});

function toReferenceHeaders(headers: EventStreamHeaders): Message['headers'] {
  const out: Message['headers'] = {};
  for (const [name, header] of Object.entries(headers)) {
    if (header.type === 'long') {
      const bytes = new Uint8Array(8);
      Buffer.from(bytes.buffer).writeBigInt64BE(header.value);
      out[name] = { type: 'long', value: new Int64(bytes) };
    } else {
      out[name] = header as MessageHeaderValue;
    }
  }
  return out;
}

function fromReferenceHeaders(headers: Message['headers']): EventStreamHeaders {
  const out: EventStreamHeaders = {};
  for (const [name, header] of Object.entries(headers)) {
    out[name] =
      header.type === 'long'
        ? { type: 'long', value: Buffer.from(header.value.bytes).readBigInt64BE() }
        : (header as EventStreamHeaderValue);
  }
  return out;
}

/** Compares messages by value, reading byte arrays as plain bytes whatever their class. */
function normalise(value: EventStreamMessage): unknown {
  const headers = Object.entries(value.headers).map(([name, header]) => [
    name,
    header.type,
    header.value instanceof Uint8Array ? [...header.value] : header.value,
  ]);
  return { headers, body: [...value.body] };
}

function decodeInChunks(bytes: Uint8Array, cuts: readonly number[]): { frames: EventStreamFrame[]; decoder: EventStreamDecoder } {
  const decoder = new EventStreamDecoder();
  const frames: EventStreamFrame[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    frames.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  frames.push(...decoder.push(bytes.subarray(start)));
  decoder.end();
  return { frames, decoder };
}

describe('event-stream codec equals @smithy/eventstream-codec', () => {
  it('encodes the same bytes', () => {
    fc.assert(
      fc.property(message, (input) => {
        const ours = encodeEventStreamMessage(input);
        const theirs = reference.encode({ headers: toReferenceHeaders(input.headers), body: input.body });
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes what the reference encodes, and the reference decodes what we encode', () => {
    fc.assert(
      fc.property(message, (input) => {
        const theirs = reference.encode({ headers: toReferenceHeaders(input.headers), body: input.body });
        const decoder = new EventStreamDecoder();
        const [frame] = decoder.push(theirs);
        expect(decoder.error).toBeUndefined();
        expect(normalise(frame as EventStreamFrame)).toEqual(normalise(input));

        const decodedByReference = reference.decode(encodeEventStreamMessage(input));
        expect(
          normalise({ headers: fromReferenceHeaders(decodedByReference.headers), body: decodedByReference.body }),
        ).toEqual(normalise(input));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('incremental decoding', () => {
  const stream = fc.array(message, { minLength: 1, maxLength: 8 }).map((messages) => ({
    messages,
    bytes: Buffer.concat(messages.map(encodeEventStreamMessage)),
  }));
  const streamWithCuts = stream.chain((input) =>
    fc.record({ input: fc.constant(input), cuts: fc.array(fc.nat({ max: input.bytes.length }), { maxLength: 40 }) }),
  );

  it('gives the same frames however the bytes are chunked', () => {
    fc.assert(
      fc.property(streamWithCuts, ({ input, cuts }) => {
        const { frames, decoder } = decodeInChunks(input.bytes, cuts);
        expect(decoder.error).toBeUndefined();
        expect(frames.map(normalise)).toEqual(input.messages.map(normalise));
        expect(Buffer.concat(frames.map((frame) => frame.raw)).equals(input.bytes)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    const bytes = Buffer.concat([
      encodeEventStreamMessage({ headers: { ':event-type': { type: 'string', value: 'chunk' } }, body: Buffer.from('{"a":1}') }),
      encodeEventStreamMessage({ headers: {}, body: Buffer.alloc(0) }),
    ]);
    const { frames, decoder } = decodeInChunks(bytes, Array.from({ length: bytes.length }, (_, index) => index));
    expect(decoder.error).toBeUndefined();
    expect(frames).toHaveLength(2);
  });

  it('returns exactly the frames before a damaged byte, then an error', () => {
    const damaged = streamWithCuts.chain(({ input, cuts }) =>
      fc.record({
        input: fc.constant(input),
        cuts: fc.constant(cuts),
        at: fc.nat({ max: input.bytes.length - 1 }),
        flip: fc.integer({ min: 1, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(damaged, ({ input, cuts, at, flip }) => {
        const bytes = Buffer.from(input.bytes);
        bytes[at] = (bytes[at] as number) ^ flip;
        const { frames, decoder } = decodeInChunks(bytes, cuts);
        let intactFrames = 0;
        for (let offset = 0; intactFrames < input.messages.length; intactFrames++) {
          const length = input.bytes.readUInt32BE(offset);
          if (offset + length > at) break;
          offset += length;
        }
        expect(frames.map(normalise)).toEqual(input.messages.slice(0, intactFrames).map(normalise));
        expect(decoder.error).toBeDefined();
      }),
      { numRuns: 500 },
    );
  });

  it('returns the complete frames of a truncated stream and reports the truncation', () => {
    const truncated = stream.chain((input) => fc.record({ input: fc.constant(input), cut: fc.nat({ max: input.bytes.length }) }));
    fc.assert(
      fc.property(truncated, ({ input, cut }) => {
        const { frames, decoder } = decodeInChunks(input.bytes.subarray(0, cut), []);
        const consumed = frames.reduce((sum, frame) => sum + frame.raw.length, 0);
        expect(frames.map(normalise)).toEqual(input.messages.slice(0, frames.length).map(normalise));
        expect(decoder.error?.code).toBe(consumed === cut ? undefined : 'truncated');
      }),
      { numRuns: 300 },
    );
  });
});

describe('fuzzing the decoder', () => {
  it('never throws, never hangs and holds at most the bytes it was given on random input', () => {
    const input = fc.record({
      bytes: fc.uint8Array({ maxLength: 4096 }),
      cuts: fc.array(fc.nat({ max: 4096 }), { maxLength: 20 }),
    });
    fc.assert(
      fc.property(input, ({ bytes, cuts }) => {
        const decoder = new EventStreamDecoder({ maxFrameBytes: 64 * 1024 });
        let start = 0;
        let received = 0;
        for (const cut of [...cuts, bytes.length].map((cut) => Math.min(cut, bytes.length)).sort((a, b) => a - b)) {
          const frames = decoder.push(bytes.subarray(start, cut));
          received += cut - start;
          start = cut;
          const decodedBytes = frames.reduce((sum, frame) => sum + frame.raw.length, 0);
          expect(decodedBytes + decoder.pendingBytes).toBeLessThanOrEqual(received);
        }
        decoder.end();
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on random header blocks inside frames with valid checksums', () => {
    const frameParts = fc.record({ headerBlock: fc.uint8Array({ maxLength: 300 }), body: fc.uint8Array({ maxLength: 64 }) });
    fc.assert(
      fc.property(frameParts, ({ headerBlock, body }) => {
        const frame = Buffer.alloc(16 + headerBlock.length + body.length);
        frame.writeUInt32BE(frame.length, 0);
        frame.writeUInt32BE(headerBlock.length, 4);
        frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
        frame.set(headerBlock, 12);
        frame.set(body, 12 + headerBlock.length);
        frame.writeUInt32BE(crc32(frame.subarray(0, frame.length - 4)), frame.length - 4);
        const decoder = new EventStreamDecoder();
        const frames = decoder.push(frame);
        if (decoder.error) {
          expect(decoder.error.code).toBe('corrupt-headers');
          expect(frames).toHaveLength(0);
        } else {
          expect(frames).toHaveLength(1);
          expect(Buffer.from(frames[0]?.raw ?? []).equals(frame)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
