/**
 * The emulator's route table, stream exception lists and Agent Runtime statuses against the AWS SDKs' own
 * schemas (the clients' `Operation$`, union and error schemas), so a mistake cannot hide behind a test that
 * shares it.
 */
import * as agentRuntime from '@aws-sdk/client-bedrock-agent-runtime';
import * as runtime from '@aws-sdk/client-bedrock-runtime';
import { EmulatedError } from '../../lib/testing/emulated-error';
import {
  BEDROCK_AGENT_RUNTIME_ERROR_STATUS,
  BEDROCK_ERROR_STATUS,
  EMULATED_OPERATIONS,
  INVOKE_AGENT_STREAM_EXCEPTION_TYPES,
  RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES,
  STREAMING_OPERATIONS,
  streamExceptionTypes,
  type BedrockErrorType,
  type EmulatedOperation,
} from '../../lib/testing';
import { matchOperation } from '../../lib/testing/operations';

/** A static schema of the SDK: `[kind, namespace, name, traits, ...]`; kind 9 operation, 3 structure, 4 union, -3 error. */
type Schema = readonly unknown[];
type SchemaRef = Schema | (() => Schema) | readonly [Schema | (() => Schema), unknown];

function resolve(ref: unknown): Schema {
  const target = Array.isArray(ref) && (typeof ref[0] === 'function' || Array.isArray(ref[0])) ? ref[0] : ref;
  return (typeof target === 'function' ? (target as () => Schema)() : target) as Schema;
}

function members(schema: Schema): Array<[string, Schema]> {
  const names = (schema[4] ?? []) as string[];
  const refs = (schema[5] ?? []) as SchemaRef[];
  return names.map((name, index) => [name, resolve(refs[index])]);
}

const SDK_OPERATIONS: { readonly [Operation in EmulatedOperation]: readonly [Record<string, unknown>, string] } = {
  invoke: [runtime, 'InvokeModel'],
  'invoke-with-response-stream': [runtime, 'InvokeModelWithResponseStream'],
  converse: [runtime, 'Converse'],
  'converse-stream': [runtime, 'ConverseStream'],
  'count-tokens': [runtime, 'CountTokens'],
  'apply-guardrail': [runtime, 'ApplyGuardrail'],
  'invoke-guardrail-checks': [runtime, 'InvokeGuardrailChecks'],
  'start-async-invoke': [runtime, 'StartAsyncInvoke'],
  'list-async-invokes': [runtime, 'ListAsyncInvokes'],
  'get-async-invoke': [runtime, 'GetAsyncInvoke'],
  retrieve: [agentRuntime, 'Retrieve'],
  'retrieve-and-generate': [agentRuntime, 'RetrieveAndGenerate'],
  'retrieve-and-generate-stream': [agentRuntime, 'RetrieveAndGenerateStream'],
  'invoke-agent': [agentRuntime, 'InvokeAgent'],
  rerank: [agentRuntime, 'Rerank'],
};

function sdkOperation(operation: EmulatedOperation): { method: string; path: string; streamUnion?: Schema } {
  const [sdk, name] = SDK_OPERATIONS[operation];
  const schema = sdk[`${name}$`] as Schema;
  const [method, path] = (schema[3] as { http: [string, string, number] }).http;
  const streamUnion = members(resolve(schema[5]))
    .map(([, member]) => member)
    .find((member) => member[0] === 4 && (member[3] as { streaming?: number } | undefined)?.streaming === 1);
  return { method, path, ...(streamUnion ? { streamUnion } : {}) };
}

const exceptionMembers = (union: Schema) => members(union).filter(([, member]) => member[0] === -3).map(([name]) => name);

describe('the route table', () => {
  it.each(EMULATED_OPERATIONS)('serves %s at the SDK’s method and path, with its labels decoded', (operation) => {
    const { method, path } = sdkOperation(operation);
    const labels = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
    const values = Object.fromEntries(labels.map((label) => [label, `${label}:value/${operation}`]));
    const encodedPath = path.replace(/\{(\w+)\}/g, (_whole, label: string) => encodeURIComponent(values[label] as string));
    expect(matchOperation(method, encodedPath)).toEqual({
      operation,
      service: SDK_OPERATIONS[operation][0] === runtime ? 'bedrock-runtime' : 'bedrock-agent-runtime',
      pathParameters: values,
    });
  });

  it('streams exactly the operations whose SDK output is an event stream', () => {
    const streaming = EMULATED_OPERATIONS.filter((operation) => sdkOperation(operation).streamUnion);
    expect([...STREAMING_OPERATIONS].sort()).toEqual(streaming.sort());
  });

  it('refuses unknown paths and other methods with UnknownOperationException', () => {
    for (const [method, path] of [
      ['GET', '/rerank'],
      ['POST', '/async-invoke/arn'],
      ['POST', '/knowledgebases//retrieve'],
      ['POST', '/agents/a/agentAliases/b/sessions/c'],
    ]) {
      expect(matchOperation(method as string, path as string)).toMatchObject({ type: 'UnknownOperationException' });
    }
    expect(matchOperation('POST', '/knowledgebases/%E0%A4%A/retrieve')).toEqual(expect.any(EmulatedError));
    expect(matchOperation('POST', '/knowledgebases/%E0%A4%A/retrieve')).toMatchObject({ type: 'ValidationException' });
  });
});

describe('stream exceptions', () => {
  it.each([...STREAMING_OPERATIONS])('%s can end with exactly the exceptions of its SDK union', (operation) => {
    const union = sdkOperation(operation).streamUnion as Schema;
    expect([...streamExceptionTypes(operation)].sort()).toEqual(exceptionMembers(union).sort());
  });

  it('lists the Agent Runtime unions as the SDK defines them', () => {
    expect([...INVOKE_AGENT_STREAM_EXCEPTION_TYPES].sort()).toEqual(exceptionMembers(agentRuntime.ResponseStream$ as Schema).sort());
    expect([...RETRIEVE_AND_GENERATE_STREAM_EXCEPTION_TYPES].sort()).toEqual(
      exceptionMembers(agentRuntime.RetrieveAndGenerateStreamResponseOutput$ as Schema).sort(),
    );
    expect(streamExceptionTypes('converse')).toEqual([]);
  });
});

describe('error statuses', () => {
  const errorSchemas = (sdk: Record<string, unknown>) =>
    Object.entries(sdk)
      .filter(([key, value]) => key.endsWith('Exception$') && Array.isArray(value) && value[0] === -3 && typeof value[3] === 'object')
      .map(([, value]) => value as Schema);

  it('gives every Agent Runtime exception its status in the Agent Runtime model', () => {
    const modeled = errorSchemas(agentRuntime);
    expect(modeled.length).toBeGreaterThanOrEqual(10);
    for (const schema of modeled) {
      const name = schema[2] as BedrockErrorType;
      expect([name, BEDROCK_AGENT_RUNTIME_ERROR_STATUS[name]]).toEqual([name, (schema[3] as { httpError: number }).httpError]);
    }
  });

  it('keeps Bedrock Runtime statuses in the general table', () => {
    for (const schema of errorSchemas(runtime)) {
      const name = schema[2] as BedrockErrorType;
      expect([name, BEDROCK_ERROR_STATUS[name]]).toEqual([name, (schema[3] as { httpError: number }).httpError]);
    }
    expect(BEDROCK_ERROR_STATUS.DependencyFailedException).toBe(424);
    expect(BEDROCK_ERROR_STATUS.BadGatewayException).toBe(502);
  });
});
