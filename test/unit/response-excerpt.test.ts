import fc from 'fast-check';
import { utf8Excerpt } from '../../src/http/webhook-client';
import { isStorableText, storableText } from '../../src/shared/storable-text';
import { fuzzRuns, fuzzSeed } from '../helpers/fuzz';

describe('utf8Excerpt', () => {
  it('is at most the cap in UTF-16 units, never a lone surrogate, and a prefix of the whole body decoded', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4_000 }), fc.integer({ min: 0, max: 2_048 }), (bytes, cap) => {
        const body = Buffer.from(bytes);
        const excerpt = utf8Excerpt(body, cap);
        expect(excerpt.length).toBeLessThanOrEqual(cap);
        expect(isStorableText(excerpt.replace(/\u0000/g, ''))).toBe(true);
        expect(isStorableText(storableText(excerpt))).toBe(true);
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(19) },
    );
  });

  it('keeps valid text whole up to the cap and leaves out a character the cap cuts in two', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), fc.integer({ min: 1, max: 1_200 }), (text, cap) => {
        const body = Buffer.from(text, 'utf8');
        const excerpt = utf8Excerpt(body, cap);
        if (body.length > cap) expect(Buffer.byteLength(excerpt, 'utf8')).toBeLessThanOrEqual(cap);
        // Lone surrogates in the source are written as U+FFFD by Buffer.from; the rest is a prefix, character by character.
        expect(Buffer.from(text, 'utf8').toString('utf8').startsWith(excerpt)).toBe(true);
        if (body.length <= cap) expect(excerpt).toBe(body.toString('utf8'));
      }),
      { numRuns: fuzzRuns(300), seed: fuzzSeed(1919) },
    );
  });

  it('turns invalid bytes into U+FFFD', () => {
    expect(utf8Excerpt(Buffer.from([0x41, 0xff, 0x42]), 1_024)).toBe('A\ufffdB');
    expect(utf8Excerpt(Buffer.from('aé', 'utf8'), 2)).toBe('a');
  });
});
