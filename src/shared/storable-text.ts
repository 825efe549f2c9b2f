/**
 * Text that Postgres can store. A `text` value cannot hold NUL (it answers 22021), and a lone UTF-16 surrogate has no
 * UTF-8 form (Node would write U+FFFD silently). Both become U+FFFD here, so that what is stored is what was meant to
 * be stored, whatever bytes an outsider sent. Pure.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const REPLACEMENT_CHARACTER = '\ufffd';

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, REPLACEMENT_CHARACTER);
}

/** True when `storableText(text) === text`. */
export function isStorableText(text: string): boolean {
  UNSTORABLE.lastIndex = 0;
  const found = UNSTORABLE.test(text);
  UNSTORABLE.lastIndex = 0;
  return !found;
}

/**
 * Query parameters with every string (also inside arrays, e.g. `text[]` values) made storable. Other values pass
 * unchanged: Buffers, dates, numbers and objects serialised by the driver.
 */
export function storableParameters(values: readonly unknown[]): unknown[] {
  return values.map(storableParameter);
}

function storableParameter(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableParameter);
  return value;
}

/** The first `maxChars` UTF-16 units of `text`, never ending inside a surrogate pair. */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const cut = text.charCodeAt(maxChars - 1);
  const end = cut >= 0xd800 && cut <= 0xdbff ? maxChars - 1 : maxChars;
  return text.slice(0, end);
}
