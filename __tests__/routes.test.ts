import { ROUTES, matchRoute } from '../lib/routes';
import { MODEL_OPERATIONS } from '../lib/operations';

describe('the route table', () => {
  it('has one row per model operation', () => {
    expect(ROUTES.map((route) => route.operation).sort()).toEqual([...MODEL_OPERATIONS].sort());
  });

  it.each(MODEL_OPERATIONS)('matches POST /model/{model}/%s with the model segment as received', (operation) => {
    expect(matchRoute('POST', `/model/anthropic.claude-v2%3A1/${operation}`)).toMatchObject({
      route: { operation },
      encodedModel: 'anthropic.claude-v2%3A1',
    });
  });

  it('keeps an ARN sent with %2F as one segment', () => {
    const arn = encodeURIComponent('arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.x-v1:0');
    expect(matchRoute('POST', `/model/${arn}/converse`)).toMatchObject({ encodedModel: arn });
  });

  it('tells an unknown path from a known path with another method', () => {
    expect(matchRoute('GET', '/model/m/converse')).toEqual({ kind: 'wrong-method', allowed: 'POST' });
    expect(matchRoute('POST', '/model/m/unknown')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/model//converse')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/model/a/b/converse')).toEqual({ kind: 'unknown-path' });
    expect(matchRoute('POST', '/')).toEqual({ kind: 'unknown-path' });
  });

  it('marks which routes stream and which take a Bedrock-defined JSON body', () => {
    const byOperation = Object.fromEntries(ROUTES.map((route) => [route.operation, route]));
    expect(byOperation['converse-stream']).toMatchObject({ streams: true, jsonBody: true });
    expect(byOperation['invoke-with-response-stream']).toMatchObject({ streams: true, jsonBody: false });
    expect(byOperation['invoke']).toMatchObject({ streams: false, jsonBody: false });
  });
});
