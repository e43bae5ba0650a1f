import { constantTimeEqual } from '../../lib/util/constant-time';
import { decodeComponentLenient } from '../../lib/util/uri';

describe('constantTimeEqual', () => {
  it('tells equal secrets from different ones, of any lengths', () => {
    expect(constantTimeEqual('sk-team-a', 'sk-team-a')).toBe(true);
    expect(constantTimeEqual('sk-team-a', 'sk-team-b')).toBe(false);
    expect(constantTimeEqual('sk-team-a', 'sk-team-a-longer')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
    expect(constantTimeEqual('', 'x')).toBe(false);
  });
});

describe('decodeComponentLenient', () => {
  it('decodes once and keeps malformed escapes', () => {
    expect(decodeComponentLenient('a%3Ab%252F')).toBe('a:b%2F');
    expect(decodeComponentLenient('plain')).toBe('plain');
    expect(decodeComponentLenient('bad%zzescape')).toBe('bad%zzescape');
  });
});
