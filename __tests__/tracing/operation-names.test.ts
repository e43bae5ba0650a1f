import { genAiOperation } from '../../lib/tracing/attributes';
import { OPERATIONS } from '../../lib/operations';

describe('gen_ai.operation.name of every operation', () => {
  it('uses the GenAI conventions’ names where they apply, and the operation’s own name elsewhere', () => {
    expect(Object.fromEntries(OPERATIONS.map((operation) => [operation, genAiOperation(operation)]))).toEqual({
      invoke: 'generate_content',
      'invoke-with-response-stream': 'generate_content',
      converse: 'chat',
      'converse-stream': 'chat',
      'count-tokens': 'count-tokens',
      'start-async-invoke': 'generate_content',
      'apply-guardrail': 'apply-guardrail',
      'invoke-guardrail-checks': 'invoke-guardrail-checks',
      'list-async-invokes': 'list-async-invokes',
      'get-async-invoke': 'get-async-invoke',
      retrieve: 'retrieve',
      'retrieve-and-generate': 'generate_content',
      'retrieve-and-generate-stream': 'generate_content',
      'invoke-agent': 'invoke_agent',
      rerank: 'rerank',
    });
  });
});
