import { parseKeysCommand } from '../../src/keys/keys-cli';
import { UsageError } from '../../src/shared/cli';

describe('parsing the keys CLI arguments', () => {
  it.each<[string[], unknown]>([
    [['create', '--account', 'acme'], { action: 'create', accountId: 'acme' }],
    [['create', '--account=acme-eu.1'], { action: 'create', accountId: 'acme-eu.1' }],
    [['revoke', '0123456789abcdef'], { action: 'revoke', keyId: '0123456789abcdef' }],
    [['revoke', `whk_0123456789abcdef_${'a'.repeat(43)}`], { action: 'revoke', keyId: '0123456789abcdef' }],
  ])('reads %j', (args, expected) => {
    expect(parseKeysCommand(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['create']],
    [['create', '--account']],
    [['create', '--account', '']],
    [['create', '--account', 'has spaces']],
    [['create', '--account', 'a'.repeat(129)]],
    [['create', '--account', 'acme', 'extra']],
    [['create', 'acme']],
    [['revoke']],
    [['revoke', 'xyz']],
    [['revoke', '0123456789abcdef', 'extra']],
    [['rotate', 'x']],
  ])('refuses %j with a usage error', (args) => {
    expect(() => parseKeysCommand(args)).toThrow(UsageError);
  });
});
