/** Reading the master key from an admin request's headers. */
import { basicAuthPassword, checkAdminCredentials } from '../../lib/admin/credentials';

const basic = (userAndPassword: string, scheme = 'Basic') => `${scheme} ${Buffer.from(userAndPassword).toString('base64')}`;

describe('basicAuthPassword', () => {
  test.each([
    ['admin:secret', 'secret'],
    [':secret', 'secret'],
    ['admin:sec:ret', 'sec:ret'],
    ['zoë:pässwörd', 'pässwörd'],
    ['admin:', ''],
  ])('%s → %s', (userAndPassword, password) => {
    expect(basicAuthPassword(basic(userAndPassword))).toBe(password);
  });

  test('the scheme is case-insensitive', () => {
    expect(basicAuthPassword(basic('admin:secret', 'basic'))).toBe('secret');
  });

  test.each([undefined, 'Bearer secret', 'Basic', 'Basic !!!', basic('no-colon')])('no password in %s', (header) => {
    expect(basicAuthPassword(header)).toBeUndefined();
  });
});

describe('checkAdminCredentials', () => {
  const master = 'sk:master';

  test('a master key with a colon still works as a Basic password', () => {
    expect(checkAdminCredentials({ authorization: basic(`admin:${master}`) }, master, undefined)).toBe('valid');
  });

  test('the configured header is read before Authorization and x-api-key', () => {
    const headers = { 'x-gateway-key': master, authorization: 'Bearer wrong', 'x-api-key': 'wrong' };
    expect(checkAdminCredentials(headers, master, 'X-Gateway-Key')).toBe('valid');
    expect(checkAdminCredentials(headers, master, undefined)).toBe('wrong');
  });

  test('empty headers are no credentials; an unusable Authorization header is wrong ones', () => {
    expect(checkAdminCredentials({ 'x-api-key': '' }, master, undefined)).toBe('missing');
    expect(checkAdminCredentials({ authorization: 'Digest username="admin"' }, master, undefined)).toBe('wrong');
  });
});
