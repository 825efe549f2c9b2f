import fc from 'fast-check';
import { codePointLength, hasControlCharacter, hasLoneSurrogate, textProblem, urlTextProblem } from '../../src/shared/text-rules';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';

describe('text rules', () => {
  it.each([
    ['plain ASCII', 'hello', false],
    ['accents and CJK', 'crème 日本', false],
    ['an emoji', '😀', false],
    ['NUL', 'a\u0000', true],
    ['a tab', '\t', true],
    ['a newline', 'a\nb', true],
    ['DEL', '\u007f', true],
    ['a C1 control', '\u0085', true],
    ['U+00A0 (a space, not a control)', '\u00a0', false],
  ])('%s: control character %s', (_case, text, expected) => {
    expect(hasControlCharacter(text)).toBe(expected);
  });

  it.each([
    ['a pair', '\ud83d\ude00', false],
    ['a lone high surrogate', 'a\ud83d', true],
    ['a lone low surrogate', '\ude00a', true],
    ['a reversed pair', '\ude00\ud83d', true],
  ])('%s: lone surrogate %s', (_case, text, expected) => {
    expect(hasLoneSurrogate(text)).toBe(expected);
  });

  it('counts code points: a surrogate pair is one, a lone surrogate is one', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('a\ud83d')).toBe(2);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(codePointLength(text)).toBe([...text].length);
      }),
      { seed: fuzzSeed(19), numRuns: fuzzRuns(300) },
    );
  });

  it.each([
    'https://example.com/a b',
    ' https://example.com',
    'https://example.com\n',
    'https://exa\tmple.com',
    'https://example.com\u00a0',
    'https:\\\\example.com',
    '\ufeffhttps://example.com',
    'https://example.com/\u2028',
  ])('refuses the URL %j', (url) => {
    expect(urlTextProblem(url)).not.toBeNull();
  });

  it('accepts a URL with non-ASCII letters, a query and a fragment', () => {
    expect(urlTextProblem('https://bücher.example/ü?q=1&r=é#x')).toBeNull();
  });

  it('never lets through a string that the URL parser would strip or rewrite whitespace or controls in (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const url = `https://example.com/${text}`;
        if (urlTextProblem(url) !== null) return;
        // What passes has no whitespace and no control characters at all.
        expect(/[\s\u0000-\u001f\u007f-\u009f]/.test(url)).toBe(false);
        expect(textProblem(text)).toBeNull();
      }),
      { seed: fuzzSeed(19), numRuns: fuzzRuns(500) },
    );
  });
});
