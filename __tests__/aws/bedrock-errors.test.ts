/** Our error table and stream exception lists against botocore's Bedrock Runtime service model. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BEDROCK_ERROR_STATUS,
  CONVERSE_STREAM_EXCEPTION_TYPES,
  INVOKE_STREAM_EXCEPTION_TYPES,
} from '../../lib/aws/bedrock-errors';
import { encodeEventFrame, encodeExceptionFrame } from '../../lib/aws/bedrock-frames';
import { EventStreamDecoder } from '../../lib/aws/eventstream';

interface Shape {
  type: string;
  exception?: boolean;
  error?: { httpStatusCode: number };
  members?: Record<string, { shape: string }>;
}
const model = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'botocore', 'bedrock-runtime-service-2.json'), 'utf8'),
) as { shapes: Record<string, Shape> };

function exceptionMembers(union: string): string[] {
  return Object.entries(model.shapes[union]?.members ?? {})
    .filter(([, member]) => model.shapes[member.shape]?.exception)
    .map(([name]) => name);
}

describe('Bedrock errors', () => {
  it('gives every exception of the service model its modeled status', () => {
    const modeled = Object.entries(model.shapes).filter(([, shape]) => shape.exception);
    expect(modeled.length).toBeGreaterThanOrEqual(12);
    for (const [name, shape] of modeled) {
      expect([name, BEDROCK_ERROR_STATUS[name as keyof typeof BEDROCK_ERROR_STATUS]]).toEqual([name, shape.error?.httpStatusCode]);
    }
  });

  it('lists exactly the exceptions each stream can carry', () => {
    expect([...INVOKE_STREAM_EXCEPTION_TYPES].sort()).toEqual(exceptionMembers('ResponseStream').sort());
    expect([...CONVERSE_STREAM_EXCEPTION_TYPES].sort()).toEqual(exceptionMembers('ConverseStreamOutput').sort());
  });
});

describe('Bedrock frames', () => {
  const decode = (frame: Buffer) => new EventStreamDecoder().push(frame)[0];

  it('builds event frames with the header order real Bedrock streams use', () => {
    const frame = decode(encodeEventFrame('messageStart', { role: 'assistant' }));
    expect(Object.entries(frame?.headers ?? {}).map(([name, header]) => [name, header.value])).toEqual([
      [':event-type', 'messageStart'],
      [':content-type', 'application/json'],
      [':message-type', 'event'],
    ]);
    expect(JSON.parse(Buffer.from(frame?.body ?? []).toString())).toEqual({ role: 'assistant' });
  });

  it('builds exception frames', () => {
    const frame = decode(encodeExceptionFrame('throttlingException', 'slow down'));
    expect(frame?.headers[':message-type']?.value).toBe('exception');
    expect(frame?.headers[':exception-type']?.value).toBe('throttlingException');
    expect(JSON.parse(Buffer.from(frame?.body ?? []).toString())).toEqual({ message: 'slow down' });
  });
});
