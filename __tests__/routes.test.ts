import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROUTES, matchRoute } from '../lib/routes';
import { MODEL_OPERATIONS, OPERATIONS } from '../lib/operations';

interface ServiceOperation {
  readonly http: { readonly method: string; readonly requestUri: string };
}

/** botocore's Bedrock Runtime model: the authority on paths. */
const runtimeModel = JSON.parse(readFileSync(join(__dirname, 'fixtures/botocore/bedrock-runtime-service-2.json'), 'utf8')) as {
  operations: Record<string, ServiceOperation>;
};

/** The AWS SDK's Agent Runtime client carries the service's paths in its schema (`[_h]: ["POST", "/rerank", 200]`). */
function agentRuntimePaths(): Array<[method: string, path: string]> {
  const source = readFileSync(require.resolve('@aws-sdk/client-bedrock-agent-runtime'), 'utf8');
  return [...source.matchAll(/\[_h\]: \["(\w+)", "([^"]+)", \d+\]/g)].map((match) => [match[1] as string, match[2] as string]);
}

/** `/model/{modelId}/converse` and `/model/{model}/converse` are the same route. */
function shape(pattern: string): string {
  return pattern.replace(/\{[^}]+\}/g, '{}').replace(/\/$/, '');
}

const RUNTIME_OPERATION_NAMES: Record<string, string> = {
  InvokeModel: 'invoke',
  InvokeModelWithResponseStream: 'invoke-with-response-stream',
  Converse: 'converse',
  ConverseStream: 'converse-stream',
  CountTokens: 'count-tokens',
  StartAsyncInvoke: 'start-async-invoke',
  ListAsyncInvokes: 'list-async-invokes',
  GetAsyncInvoke: 'get-async-invoke',
  ApplyGuardrail: 'apply-guardrail',
  InvokeGuardrailChecks: 'invoke-guardrail-checks',
};

describe('the route table', () => {
  it('has one row per operation', () => {
    expect(ROUTES.map((route) => route.operation).sort()).toEqual([...OPERATIONS].sort());
  });

  it.each(Object.entries(RUNTIME_OPERATION_NAMES))("serves Bedrock Runtime's %s at the service model's method and path", (name, operation) => {
    const route = ROUTES.find((candidate) => candidate.operation === operation);
    const { http } = runtimeModel.operations[name] as ServiceOperation;
    expect(route).toMatchObject({ method: http.method, upstreamService: 'bedrock-runtime', signingName: 'bedrock' });
    expect(shape(route?.pattern ?? '')).toBe(shape(http.requestUri));
  });

  it("serves Bedrock Agent Runtime's operations at the SDK's methods and paths", () => {
    const served = new Set(agentRuntimePaths().map(([method, path]) => `${method} ${shape(path)}`));
    for (const route of ROUTES.filter((candidate) => candidate.upstreamService === 'bedrock-agent-runtime')) {
      expect(served).toContain(`${route.method} ${shape(route.pattern)}`);
    }
  });

  it.each(MODEL_OPERATIONS.filter((operation) => operation !== 'start-async-invoke'))(
    'matches POST /model/{model}/%s with the model segment as received',
    (operation) => {
      expect(matchRoute('POST', `/model/anthropic.claude-v2%3A1/${operation}`)).toMatchObject({
        route: { operation },
        params: { model: 'anthropic.claude-v2%3A1' },
      });
    },
  );

  it('keeps an ARN sent with %2F as one segment', () => {
    const arn = encodeURIComponent('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0');
    expect(matchRoute('POST', `/model/${arn}/converse`)).toMatchObject({ params: { model: arn } });
    expect(matchRoute('GET', `/async-invoke/${arn}`)).toMatchObject({ route: { operation: 'get-async-invoke' }, params: { invocationArn: arn } });
  });

  it('matches every parameter of the longer paths', () => {
    expect(matchRoute('POST', '/agents/A1/agentAliases/TSTALIASID/sessions/s-1/text')).toMatchObject({
      route: { operation: 'invoke-agent' },
      params: { agent: 'A1', agentAlias: 'TSTALIASID', session: 's-1' },
    });
    expect(matchRoute('POST', '/guardrail/g1/version/DRAFT/apply')).toMatchObject({ params: { guardrail: 'g1', version: 'DRAFT' } });
  });

  it('tells one path served with two methods apart, and names both when the method is neither', () => {
    expect(matchRoute('GET', '/async-invoke')).toMatchObject({ route: { operation: 'list-async-invokes' } });
    expect(matchRoute('POST', '/async-invoke')).toMatchObject({ route: { operation: 'start-async-invoke' } });
    expect(matchRoute('DELETE', '/async-invoke')).toEqual({ kind: 'wrong-method', allowed: 'POST, GET' });
  });

  it('tells an unknown path from a known path with another method', () => {
    expect(matchRoute('GET', '/model/m/converse')).toEqual({ kind: 'wrong-method', allowed: 'POST' });
    expect(matchRoute('POST', '/model/m/unknown')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/model//converse')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/model/a/b/converse')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/')).toEqual({ kind: 'unknown-path' });
  });

  it('marks which routes stream, which take a JSON body, and which act so are retried only when unsent', () => {
    const byOperation = Object.fromEntries(ROUTES.map((route) => [route.operation, route]));
    expect(byOperation['converse-stream']).toMatchObject({ streams: true, jsonBody: true });
    expect(byOperation['invoke-with-response-stream']).toMatchObject({ streams: true, jsonBody: false });
    expect(byOperation['invoke']).toMatchObject({ streams: false, jsonBody: false });
    expect(byOperation['list-async-invokes']).toMatchObject({ jsonBody: false });
    expect(byOperation['invoke-agent']).toMatchObject({ streams: true, retries: 'unsent-only' });
    expect(byOperation['retrieve-and-generate-stream']).toMatchObject({ streams: true });
    expect(byOperation['start-async-invoke']).toMatchObject({ retries: 'unsent-only' });
  });
});
