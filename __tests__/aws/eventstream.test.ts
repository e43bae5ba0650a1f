/** The event-stream codec on the shared AWS test vectors, real Bedrock captures, and its limits. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import {
  EventStreamDecoder,
  encodeEventStreamMessage,
  type EventStreamFrame,
  type EventStreamHeaderValue,
} from '../../lib/aws/eventstream';

const FIXTURES = join(__dirname, '..', 'fixtures', 'eventstream');
const VECTORS = join(FIXTURES, 'smithy-typescript', 'test_vectors');

interface VectorHeader {
  name: string;
  type: number;
  value: boolean | number | string;
}
interface DecodedVector {
  total_length: number;
  headers_length: number;
  prelude_crc: number;
  headers: VectorHeader[];
  payload: string;
  message_crc: number;
}

/** Our header value in the vectors' JSON notation (numbers as numbers, bytes and strings as base64). */
function toVectorNotation(header: EventStreamHeaderValue): boolean | number | string {
  switch (header.type) {
    case 'long':
      return Number(header.value);
    case 'timestamp':
      return header.value.getTime();
    case 'binary':
      return Buffer.from(header.value).toString('base64');
    case 'string':
      return Buffer.from(header.value, 'utf8').toString('base64');
    case 'uuid':
      return Buffer.from(header.value.replace(/-/g, ''), 'hex').toString('base64');
    default:
      return header.value;
  }
}

const TYPE_CODES: Record<EventStreamHeaderValue['type'], number[]> = {
  boolean: [0, 1],
  byte: [2],
  short: [3],
  integer: [4],
  long: [5],
  binary: [6],
  string: [7],
  timestamp: [8],
  uuid: [9],
};

function decodeAll(bytes: Uint8Array): { frames: EventStreamFrame[]; decoder: EventStreamDecoder } {
  const decoder = new EventStreamDecoder();
  const frames = [...decoder.push(bytes)];
  decoder.end();
  return { frames, decoder };
}

describe('event-stream test vectors (smithy-typescript)', () => {
  const positive = readdirSync(join(VECTORS, 'encoded', 'positive')).sort();
  const negative = readdirSync(join(VECTORS, 'encoded', 'negative')).sort();

  it.each(positive)('decodes and re-encodes positive/%s exactly', (name) => {
    const encoded = readFileSync(join(VECTORS, 'encoded', 'positive', name));
    const expected = JSON.parse(readFileSync(join(VECTORS, 'decoded', 'positive', name), 'utf8')) as DecodedVector;
    const { frames, decoder } = decodeAll(encoded);
    expect(decoder.error).toBeUndefined();
    expect(frames).toHaveLength(1);
    const [frame] = frames as [EventStreamFrame];
    expect(frame.raw.length).toBe(expected.total_length);
    expect(encoded.readUInt32BE(4)).toBe(expected.headers_length);
    expect(encoded.readUInt32BE(8)).toBe(expected.prelude_crc >>> 0);
    expect(encoded.readUInt32BE(encoded.length - 4)).toBe(expected.message_crc >>> 0);
    const headers = Object.entries(frame.headers).map(([headerName, header]) => ({
      name: headerName,
      typeCodes: TYPE_CODES[header.type],
      value: toVectorNotation(header),
    }));
    expect(headers).toEqual(
      expected.headers.map((header) => ({
        name: header.name,
        typeCodes: expect.arrayContaining([header.type]),
        value: header.value,
      })),
    );
    expect(Buffer.from(frame.body).toString('base64')).toBe(expected.payload);
    expect(encodeEventStreamMessage(frame)).toEqual(encoded);
  });

  it.each(negative)('reports negative/%s with the expected error', (name) => {
    const encoded = readFileSync(join(VECTORS, 'encoded', 'negative', name));
    const expected = readFileSync(join(VECTORS, 'decoded', 'negative', name), 'utf8').trim();
    const { frames, decoder } = decodeAll(encoded);
    expect(frames).toHaveLength(0);
    const code = { 'Prelude checksum mismatch': 'prelude-checksum', 'Message checksum mismatch': 'message-checksum' }[
      expected
    ];
    expect(code).toBeDefined();
    expect(decoder.error?.code).toBe(code);
    expect(decoder.error?.message).toContain(expected.toLowerCase());
  });

  it('keeps the frames decoded before a corrupt one', () => {
    const good = readFileSync(join(VECTORS, 'encoded', 'positive', 'all_headers'));
    const bad = readFileSync(join(VECTORS, 'encoded', 'negative', 'corrupted_payload'));
    const decoder = new EventStreamDecoder();
    const frames = decoder.push(Buffer.concat([good, good, bad, good]));
    expect(frames.map((frame) => Buffer.from(frame.raw))).toEqual([good, good]);
    expect(decoder.error).toMatchObject({ code: 'message-checksum', frameOffset: good.length * 2 });
    expect(decoder.push(good)).toHaveLength(0);
  });
});

describe('real Bedrock streams', () => {
  it('decodes an InvokeModelWithResponseStream capture frame by frame', () => {
    const dir = join(FIXTURES, 'captures', 'envoyproxy-ai-gateway');
    const bytes = readFileSync(join(dir, 'anthropic-invoke-with-response-stream.eventstream.bin'));
    const expected = JSON.parse(readFileSync(join(dir, 'anthropic-invoke-with-response-stream.decoded.json'), 'utf8')) as {
      messages: Array<{ headers: Record<string, string>; payload: unknown }>;
    };
    const { frames, decoder } = decodeAll(bytes);
    expect(decoder.error).toBeUndefined();
    expect(frames).toHaveLength(expected.messages.length);
    frames.forEach((frame, index) => {
      const message = expected.messages[index];
      const headers = Object.fromEntries(Object.entries(frame.headers).map(([name, header]) => [name, header.value]));
      expect(headers).toEqual(message?.headers);
      expect(Object.keys(headers)).toEqual([':event-type', ':content-type', ':message-type']);
      expect(JSON.parse(Buffer.from(frame.body).toString('utf8'))).toEqual(message?.payload);
    });
  });

  it('decodes a live ConverseStream capture with its usage metadata', () => {
    const capture = JSON.parse(
      readFileSync(join(FIXTURES, 'captures', 'vercel-ai', 'issue-18994-live-converse-stream.json'), 'utf8'),
    ) as { response: { bodyBase64: string }; observed: { inputTokens: number; outputTokens: number } };
    const { frames, decoder } = decodeAll(Buffer.from(capture.response.bodyBase64, 'base64'));
    expect(decoder.error).toBeUndefined();
    expect(frames.map((frame) => frame.headers[':event-type']?.value)).toEqual([
      'messageStart',
      'contentBlockDelta',
      'contentBlockDelta',
      'contentBlockStop',
      'messageStop',
      'metadata',
    ]);
    const metadata = JSON.parse(Buffer.from(frames[5]?.body ?? []).toString('utf8')) as {
      usage: { inputTokens: number; outputTokens: number };
    };
    expect(metadata.usage).toMatchObject({
      inputTokens: capture.observed.inputTokens,
      outputTokens: capture.observed.outputTokens,
    });
  });

  it('decodes a captured exception frame', () => {
    const bytes = Buffer.from(
      readFileSync(join(FIXTURES, 'captures', 'vercel-ai', 'model-stream-error-exception.eventstream.base64.txt'), 'utf8'),
      'base64',
    );
    const { frames, decoder } = decodeAll(bytes);
    expect(decoder.error).toBeUndefined();
    expect(frames[0]?.headers[':message-type']?.value).toBe('exception');
    expect(frames[0]?.headers[':exception-type']?.value).toBe('modelStreamErrorException');
    expect(JSON.parse(Buffer.from(frames[0]?.body ?? []).toString('utf8'))).toMatchObject({ originalStatusCode: 500 });
  });
});

describe('decoder limits and truncation', () => {
  /** A prelude announcing `frameLength` bytes with `headerLength` of headers, with a valid CRC. */
  function prelude(frameLength: number, headerLength = 0): Buffer {
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32BE(frameLength, 0);
    bytes.writeUInt32BE(headerLength, 4);
    bytes.writeUInt32BE(crc32(bytes.subarray(0, 8)), 8);
    return bytes;
  }

  it('refuses a frame larger than the limit as soon as its prelude arrives', () => {
    const decoder = new EventStreamDecoder({ maxFrameBytes: 1024 });
    expect(decoder.push(prelude(1025))).toHaveLength(0);
    expect(decoder.error?.code).toBe('frame-too-large');
    expect(decoder.pendingBytes).toBe(0);
  });

  it('refuses a header block larger than the limit', () => {
    const decoder = new EventStreamDecoder({ maxHeaderBytes: 100 });
    decoder.push(prelude(200, 101));
    expect(decoder.error?.code).toBe('headers-too-large');
  });

  it('refuses lengths that cannot hold a frame', () => {
    const tooShort = new EventStreamDecoder();
    tooShort.push(prelude(15));
    expect(tooShort.error?.code).toBe('frame-too-short');
    const headersPastEnd = new EventStreamDecoder();
    headersPastEnd.push(prelude(20, 5));
    expect(headersPastEnd.error?.code).toBe('corrupt-headers');
  });

  it('holds only the bytes received of a large announced frame', () => {
    const decoder = new EventStreamDecoder();
    decoder.push(prelude(16 * 1024 * 1024));
    decoder.push(Buffer.alloc(1000));
    expect(decoder.pendingBytes).toBe(1012);
    expect(decoder.end()?.code).toBe('truncated');
    expect(decoder.error?.message).toContain('1012 of 16777216 bytes');
  });

  it('reports a header that runs past its block', () => {
    const frame = encodeEventStreamMessage({ headers: { name: { type: 'string', value: 'value' } }, body: Buffer.alloc(0) });
    frame.writeUInt16BE(200, 12 + 1 + 4 + 1); // the string's length
    frame.writeUInt32BE(crc32(frame.subarray(0, frame.length - 4)), frame.length - 4);
    const { decoder } = decodeAll(frame);
    expect(decoder.error?.code).toBe('corrupt-headers');
    expect(decoder.error?.message).toContain('header "name"');
  });

  it('reports an unknown header value type', () => {
    const frame = encodeEventStreamMessage({ headers: { name: { type: 'boolean', value: true } }, body: Buffer.alloc(0) });
    frame.writeUInt8(42, 12 + 1 + 4);
    frame.writeUInt32BE(crc32(frame.subarray(0, frame.length - 4)), frame.length - 4);
    const { decoder } = decodeAll(frame);
    expect(decoder.error?.message).toContain('unknown value type 42');
  });

  it('a stream that ends between frames is complete', () => {
    const frame = encodeEventStreamMessage({ headers: {}, body: Buffer.from('x') });
    const { frames, decoder } = decodeAll(Buffer.concat([frame, frame]));
    expect(frames).toHaveLength(2);
    expect(decoder.end()).toBeUndefined();
  });
});

describe('encoder', () => {
  it('encodes every header type and decodes it back', () => {
    const headers = {
      bool: { type: 'boolean', value: false },
      byte: { type: 'byte', value: -128 },
      short: { type: 'short', value: 32767 },
      int: { type: 'integer', value: -2147483648 },
      long: { type: 'long', value: -(2n ** 63n) },
      bytes: { type: 'binary', value: new Uint8Array([0, 255]) },
      text: { type: 'string', value: 'héllo ሴ' },
      when: { type: 'timestamp', value: new Date('2026-11-21T12:00:00.123Z') },
      id: { type: 'uuid', value: '0123abcd-4567-89ef-0123-456789abcdef' },
    } as const;
    const { frames } = decodeAll(encodeEventStreamMessage({ headers, body: Buffer.from('{}') }));
    expect(frames[0]?.headers).toEqual({ ...headers, bytes: { type: 'binary', value: Buffer.from([0, 255]) } });
  });

  it('refuses values the format cannot carry', () => {
    // Node's own RangeError comes from another realm than Jest's global, so match it by name.
    const rangeError = expect.objectContaining({ name: 'RangeError' });
    const encodeHeader = (name: string, header: EventStreamHeaderValue) => () =>
      encodeEventStreamMessage({ headers: { [name]: header }, body: Buffer.alloc(0) });
    expect(encodeHeader('b', { type: 'byte', value: 128 })).toThrow(rangeError);
    expect(encodeHeader('u', { type: 'uuid', value: 'nope' })).toThrow(rangeError);
    expect(encodeHeader('n'.repeat(256), { type: 'boolean', value: true })).toThrow(rangeError);
    expect(encodeHeader('s', { type: 'string', value: 'x'.repeat(65536) })).toThrow(rangeError);
  });
});
