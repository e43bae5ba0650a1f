/** Where upstream AWS credentials come from, and how long they are kept. */
import type { AwsCredentials } from './aws/sigv4';
import { GatewayError } from './errors';
import type { CredentialsProvider, ExpiringCredentials } from './types';

/** Temporary credentials are refreshed this long before they expire, so no request is signed with a dying key. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * Caches a provider's credentials until five minutes before they expire (for ever when they carry no expiry).
 * Concurrent callers share one refresh; a failed refresh is not cached.
 */
export function cachedCredentials(provider: CredentialsProvider, now: () => number = Date.now): CredentialsProvider {
  let current: ExpiringCredentials | undefined;
  let refreshing: Promise<ExpiringCredentials> | undefined;
  return () => {
    if (current && (!current.expiration || current.expiration.getTime() - REFRESH_BEFORE_EXPIRY_MS > now())) {
      return Promise.resolve(current);
    }
    refreshing ??= provider()
      .then((credentials) => {
        current = credentials;
        return credentials;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
}

/** Fixed credentials from the config. */
export function staticCredentials(credentials: AwsCredentials): CredentialsProvider {
  const resolved = Promise.resolve(credentials);
  return () => resolved;
}

/**
 * The standard AWS environment variables, read when needed (so a process that rotates them is followed).
 * Missing ones give the client a clear 500 naming the variables, never an unsigned request.
 */
export function environmentCredentials(env: NodeJS.ProcessEnv = process.env): CredentialsProvider {
  return async () => {
    const accessKeyId = env['AWS_ACCESS_KEY_ID'];
    const secretAccessKey = env['AWS_SECRET_ACCESS_KEY'];
    if (!accessKeyId || !secretAccessKey) {
      throw new GatewayError(
        'InternalServerException',
        'The gateway has no AWS credentials for this deployment: set them in its config, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in its environment',
      );
    }
    return { accessKeyId, secretAccessKey, sessionToken: env['AWS_SESSION_TOKEN'] || undefined };
  };
}
