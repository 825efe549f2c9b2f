import fc from 'fast-check';
import { isStorableText, storableParameters, storableText, truncateText } from '../../src/shared/storable-text';

describe('storableText', () => {
  it.each([
    ['plain text', 'héllo', 'héllo'],
    ['NUL', 'a\u0000b', 'a\ufffdb'],
    ['a lone high surrogate', 'a\ud800b', 'a\ufffdb'],
    ['a lone low surrogate', 'a\udc00b', 'a\ufffdb'],
    ['a high surrogate at the end', 'a\ud83d', 'a\ufffd'],
    ['a surrogate pair', 'a\ud83d\ude00b', 'a\ud83d\ude00b'],
    ['two high surrogates then a low one', '\ud83d\ud83d\ude00', '\ufffd\ud83d\ude00'],
  ])('%s', (_name, input, expected) => {
    expect(storableText(input)).toBe(expected);
    expect(isStorableText(expected)).toBe(true);
  });

  it('leaves nothing Postgres or UTF-8 would refuse, and changes storable text not at all (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const stored = storableText(text);
        expect(stored).not.toContain('\u0000');
        expect(Buffer.from(stored, 'utf8').toString('utf8')).toBe(stored);
        expect(storableText(stored)).toBe(stored);
        expect(stored.length).toBe(text.length);
      }),
      { seed: 19, numRuns: 500 },
    );
  });

  it('makes strings inside arrays storable and leaves other parameters alone', () => {
    const when = new Date(0);
    const bytes = Buffer.from([0]);
    expect(storableParameters(['a\u0000', ['b\u0000', ['c\ud800']], 3, null, when, bytes])).toEqual([
      'a\ufffd',
      ['b\ufffd', ['c\ufffd']],
      3,
      null,
      when,
      bytes,
    ]);
  });
});

describe('truncateText', () => {
  it('never ends inside a surrogate pair', () => {
    expect(truncateText('ab\ud83d\ude00', 3)).toBe('ab');
    expect(truncateText('ab\ud83d\ude00', 4)).toBe('ab\ud83d\ude00');
    expect(truncateText('abc', 2)).toBe('ab');
  });

  it('keeps well-formed text well-formed (any string of full code points)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(50), (text, max) => {
        const cut = truncateText(text, max);
        expect(cut.length).toBeLessThanOrEqual(max);
        expect(isStorableText(cut) || text.includes('\u0000')).toBe(true);
        expect(text.startsWith(cut)).toBe(true);
      }),
      { seed: 19, numRuns: 300 },
    );
  });
});
