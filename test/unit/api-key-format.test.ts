import { apiKeyMatchesHash, hashApiKey, isApiKeyId, mintApiKey, parseApiKeyId } from '../../src/keys/api-key-format';

describe('API key format', () => {
  it('mints prefixed random keys whose id is embedded and whose hash is SHA-256 hex', () => {
    const a = mintApiKey();
    const b = mintApiKey();
    expect(a.key).toMatch(/^whk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(a.key).not.toBe(b.key);
    expect(a.id).not.toBe(b.id);
    expect(parseApiKeyId(a.key)).toBe(a.id);
    expect(a.keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.keyHash).toBe(hashApiKey(a.key));
    expect(a.keyHash).not.toContain(a.key.slice(21));
  });

  it('matches a key only against its own hash', () => {
    const a = mintApiKey();
    const b = mintApiKey();
    expect(apiKeyMatchesHash(a.key, a.keyHash)).toBe(true);
    expect(apiKeyMatchesHash(b.key, a.keyHash)).toBe(false);
    expect(apiKeyMatchesHash(a.key, 'short')).toBe(false);
  });

  it.each([
    '',
    'whk_',
    'whk_0123456789abcdef',
    'sk_0123456789abcdef_' + 'a'.repeat(43),
    'whk_0123456789ABCDEF_' + 'a'.repeat(43),
    'whk_0123456789abcdef_' + 'a'.repeat(42),
    ` whk_0123456789abcdef_${'a'.repeat(43)}`,
  ])('refuses the malformed key %j', (key) => {
    expect(parseApiKeyId(key)).toBeNull();
  });

  it('recognises bare key ids', () => {
    expect(isApiKeyId('0123456789abcdef')).toBe(true);
    expect(isApiKeyId('0123456789abcde')).toBe(false);
    expect(isApiKeyId('whk_0123456789abcdef')).toBe(false);
  });
});
