/**
 * What the API accepts as text, whatever bytes an outsider sends. Pure.
 *
 * - Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) are refused in every text field: they
 *   break log lines, terminals and the HTTP headers some values end up in, and NUL cannot be stored at all.
 * - Lone UTF-16 surrogates are refused: they are not Unicode text and have no UTF-8 form.
 * - Lengths are counted in Unicode code points (what Postgres counts for varchar(n)), not UTF-16 units: an emoji
 *   counts 1, like an "a".
 * - A URL is refused when it holds any whitespace (ASCII or Unicode), a control character or a backslash anywhere,
 *   leading and trailing included: the WHATWG URL parser would strip, drop or rewrite those, so the URL stored would
 *   not be the URL the parser reads.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** `\s` is ECMAScript white space plus line terminators (U+0020, U+00A0, U+1680, U+2000-U+200A, U+2028, U+3000, U+FEFF, ...). */
const URL_FORBIDDEN = /[\s\u0000-\u001f\u007f-\u009f\\]/;

export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** Length in Unicode code points (a surrogate pair counts 1; a lone surrogate counts 1 too). */
export function codePointLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** Why `text` is not acceptable text, or null. */
export function textProblem(text: string): string | null {
  if (hasControlCharacter(text)) return 'must not contain control characters (U+0000-U+001F, U+007F-U+009F)';
  if (hasLoneSurrogate(text)) return 'must be valid Unicode text (no lone surrogates)';
  return null;
}

/** Why `url` cannot be taken as it is, or null (its syntax and target are judged afterwards). */
export function urlTextProblem(url: string): string | null {
  if (URL_FORBIDDEN.test(url)) return 'must not contain whitespace, control characters or backslashes (anywhere, ends included)';
  if (hasLoneSurrogate(url)) return 'must be valid Unicode text (no lone surrogates)';
  return null;
}
