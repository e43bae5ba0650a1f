import { cachedCredentials, environmentCredentials } from '../lib/credentials';
import { GatewayError } from '../lib/errors';

const credentials = (expiresInMs?: number) => ({
  accessKeyId: 'AKID',
  secretAccessKey: 'secret',
  ...(expiresInMs === undefined ? {} : { expiration: new Date(1_000_000 + expiresInMs) }),
});

describe('cachedCredentials', () => {
  it('shares one refresh among concurrent callers and keeps credentials without expiry', async () => {
    const provider = jest.fn(async () => credentials());
    const cached = cachedCredentials(provider, () => 1_000_000);
    await Promise.all([cached(), cached(), cached()]);
    await cached();
    expect(provider).toHaveBeenCalledTimes(1);
  });

  it('refreshes five minutes before expiry', async () => {
    let now = 1_000_000;
    const provider = jest.fn(async () => credentials(10 * 60_000));
    const cached = cachedCredentials(provider, () => now);
    await cached();
    now += 4 * 60_000;
    await cached();
    expect(provider).toHaveBeenCalledTimes(1);
    now += 2 * 60_000;
    await cached();
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('does not cache a failure', async () => {
    const provider = jest.fn().mockRejectedValueOnce(new Error('metadata service down')).mockResolvedValue(credentials());
    const cached = cachedCredentials(provider, () => 1_000_000);
    await expect(cached()).rejects.toThrow('metadata service down');
    await expect(cached()).resolves.toMatchObject({ accessKeyId: 'AKID' });
  });
});

describe('environmentCredentials', () => {
  it('reads the standard variables when asked, and names them when missing', async () => {
    const env: NodeJS.ProcessEnv = {};
    const provider = environmentCredentials(env);
    await expect(provider()).rejects.toBeInstanceOf(GatewayError);
    Object.assign(env, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' });
    await expect(provider()).resolves.toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' });
  });
});
