/**
 * Calls to Bedrock: one undici agent with a keep-alive connection pool per endpoint, and the translation of
 * network failures into Bedrock-shaped errors for the client.
 */
import { Agent } from 'undici';
import { GatewayError } from '../errors';

/** The agent every request of one gateway goes through. */
export function createUpstreamAgent(): Agent {
  return new Agent({
    // Keep connections to Bedrock warm between requests: a new TLS handshake costs tens of milliseconds.
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: { timeout: 10_000 },
    // The router times each call itself (router_settings.timeout, stream_timeout); undici's own limits are off.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/** A failure reaching the upstream before it answered, as the client will see it. */
export function upstreamFailure(error: unknown, deploymentId: string): GatewayError {
  const code = (error as { code?: unknown }).code;
  const reason = typeof code === 'string' ? code : 'connection failed';
  return new GatewayError('ServiceUnavailableException', `Deployment ${deploymentId} could not be reached (${reason}).`);
}
