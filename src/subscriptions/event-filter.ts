/**
 * A subscription's `filter`: MongoDB-style conditions on an event's `data`. Pure (no I/O).
 *
 * - A filter is an object. Each key is either `$and` / `$or` (a non-empty array of filters) or a dotted path inside
 *   `data` (`"message.attachments"`); all keys of one object must hold (AND).
 * - A path's value is either an operator object (every key starts with `$`: `$eq $ne $gt $gte $lt $lte $in $nin
 *   $exists`, all must hold) or any other JSON value, which means `$eq` that value.
 * - Paths walk into arrays: where a step meets an array, the rest of the path is looked up in each element (and a
 *   numeric step also indexes the array). A condition holds when any value found holds it; `$eq` (and `$in`) also
 *   holds when a value found is an array with an element equal to the operand.
 * - `$eq: null` holds for a missing field as for null (as in MongoDB); `$ne` and `$nin` are the negations of `$eq` and
 *   `$in` (so they hold for a missing field). `$gt $gte $lt $lte` compare numbers with numbers and strings with
 *   strings (by UTF-16 code units), never across types: `{"count": {"$gt": 5}}` does not hold for `"count": "10"`.
 * - `$exists: true` holds when the path leads to a value (null included), `false` when it leads to none.
 *
 * `checkFilter` validates untrusted input (and bounds it: see FILTER_LIMITS); `matchesFilter` evaluates a checked
 * filter against any data and never throws.
 */
import { textProblem } from '../shared/text-rules';

/** A filter checkFilter accepted (JSON: an object of paths and combinators). */
export type EventFilter = Readonly<Record<string, unknown>>;

export const FILTER_LIMITS = {
  /** The filter as JSON, in UTF-8 bytes. */
  maxBytes: 4096,
  /** Nesting of objects and arrays in the whole filter (the filter object itself is level 1). */
  maxDepth: 10,
  /** Conditions (a path with its operators, each counting once) in the whole filter. */
  maxConditions: 50,
  /** Segments of one dotted path. */
  maxPathSegments: 16,
  /** Characters of one dotted path. */
  maxPathLength: 256,
  /** Values in one `$in` / `$nin` list. */
  maxInValues: 100,
} as const;

const COMPARISON_OPERATORS = ['$gt', '$gte', '$lt', '$lte'] as const;
const OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$exists', ...COMPARISON_OPERATORS]);

/** Where a filter is invalid: the path of the bad part (keys and indexes from the filter's root) and why. */
export interface FilterProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** The first problem of `input` as a filter, or null when it is a valid filter within FILTER_LIMITS. */
export function checkFilter(input: unknown): FilterProblem | null {
  if (!isPlainObject(input)) return { path: [], message: 'must be an object (or null for no filter)' };
  const depth = jsonDepth(input, FILTER_LIMITS.maxDepth + 1);
  if (depth > FILTER_LIMITS.maxDepth)
    return { path: [], message: `must not nest objects and arrays more than ${FILTER_LIMITS.maxDepth} levels deep` };
  const json = JSON.stringify(input);
  if (Buffer.byteLength(json, 'utf8') > FILTER_LIMITS.maxBytes)
    return { path: [], message: `must be at most ${FILTER_LIMITS.maxBytes} bytes as JSON` };
  const counter = { conditions: 0 };
  return checkObject(input, [], counter);
}

function checkObject(filter: Record<string, unknown>, at: (string | number)[], counter: { conditions: number }): FilterProblem | null {
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    const here = [...at, key];
    if (key === '$and' || key === '$or') {
      if (!Array.isArray(value) || value.length === 0) return { path: here, message: `${key} must be a non-empty array of filters` };
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (!isPlainObject(item)) return { path: [...here, i], message: 'must be a filter object' };
        const problem = checkObject(item, [...here, i], counter);
        if (problem) return problem;
      }
      continue;
    }
    if (key.startsWith('$')) return { path: here, message: `unknown operator ${key} here (only $and and $or combine filters)` };
    const pathProblem = checkPath(key);
    if (pathProblem) return { path: here, message: pathProblem };
    const problem = checkCondition(value, here, counter);
    if (problem) return problem;
  }
  return null;
}

function checkPath(path: string): string | null {
  const text = textProblem(path);
  if (text) return `path ${text}`;
  if (path.length > FILTER_LIMITS.maxPathLength) return `path must be at most ${FILTER_LIMITS.maxPathLength} characters`;
  const segments = path.split('.');
  if (segments.some((s) => s.length === 0)) return 'path must be dot-separated non-empty names (no empty segment)';
  if (segments.length > FILTER_LIMITS.maxPathSegments) return `path must have at most ${FILTER_LIMITS.maxPathSegments} segments`;
  return null;
}

const isOperatorObject = (value: unknown): value is Record<string, unknown> =>
  isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).some((k) => k.startsWith('$'));

function checkCondition(value: unknown, at: (string | number)[], counter: { conditions: number }): FilterProblem | null {
  if (!isOperatorObject(value)) {
    counter.conditions += 1;
    if (counter.conditions > FILTER_LIMITS.maxConditions)
      return { path: at, message: `a filter holds at most ${FILTER_LIMITS.maxConditions} conditions` };
    return checkValue(value, at);
  }
  for (const operator of Object.keys(value)) {
    const operand = value[operator];
    const here = [...at, operator];
    if (!operator.startsWith('$')) return { path: here, message: 'must not mix operators ($...) and field names in one object' };
    if (!OPERATORS.has(operator)) {
      return { path: here, message: `unknown operator ${operator}; expected one of ${[...OPERATORS].join(', ')}` };
    }
    counter.conditions += 1;
    if (counter.conditions > FILTER_LIMITS.maxConditions)
      return { path: here, message: `a filter holds at most ${FILTER_LIMITS.maxConditions} conditions` };
    if (operator === '$exists') {
      if (typeof operand !== 'boolean') return { path: here, message: 'must be true or false' };
    } else if (operator === '$in' || operator === '$nin') {
      if (!Array.isArray(operand)) return { path: here, message: 'must be an array of values' };
      if (operand.length > FILTER_LIMITS.maxInValues)
        return { path: here, message: `must list at most ${FILTER_LIMITS.maxInValues} values` };
      for (let i = 0; i < operand.length; i++) {
        const problem = checkValue(operand[i], [...here, i]);
        if (problem) return problem;
      }
    } else if ((COMPARISON_OPERATORS as readonly string[]).includes(operator)) {
      if (typeof operand !== 'string' && typeof operand !== 'number') return { path: here, message: 'must be a number or a string' };
      const problem = checkValue(operand, here);
      if (problem) return problem;
    } else {
      const problem = checkValue(operand, here);
      if (problem) return problem;
    }
  }
  return null;
}

/** A JSON value that can be stored (jsonb) and compared: finite numbers, storable strings and keys. */
function checkValue(value: unknown, at: (string | number)[]): FilterProblem | null {
  if (value === null || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : { path: at, message: 'must be a finite number' };
  if (typeof value === 'string') {
    const text = textProblem(value);
    return text ? { path: at, message: text } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = checkValue(value[i], [...at, i]);
      if (problem) return problem;
    }
    return null;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      const text = textProblem(key);
      if (text) return { path: [...at, key], message: `key ${text}` };
      const problem = checkValue(value[key], [...at, key]);
      if (problem) return problem;
    }
    return null;
  }
  return { path: at, message: 'must be a JSON value' };
}

/** Nesting depth of objects and arrays, counting stops at `cap` (so hostile nesting costs at most `cap` levels). */
function jsonDepth(value: unknown, cap: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (cap <= 1) return 1;
  let deepest = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, jsonDepth(child, cap - 1));
    if (deepest >= cap - 1) break;
  }
  return 1 + deepest;
}

/**
 * Whether `data` satisfies `filter` (a filter checkFilter accepted; null or undefined: every event). Never throws,
 * whatever `data` is: an evaluation that fails counts as no match.
 */
export function matchesFilter(filter: EventFilter | null | undefined, data: unknown): boolean {
  if (filter === null || filter === undefined) return true;
  try {
    return matchObject(filter, data);
  } catch {
    return false;
  }
}

function matchObject(filter: Record<string, unknown>, data: unknown): boolean {
  for (const key of Object.keys(filter)) {
    const value = filter[key];
    if (key === '$and') {
      if (!Array.isArray(value) || !value.every((f) => isPlainObject(f) && matchObject(f, data))) return false;
    } else if (key === '$or') {
      if (!Array.isArray(value) || !value.some((f) => isPlainObject(f) && matchObject(f, data))) return false;
    } else if (!matchCondition(resolvePath(data, key.split('.')), value)) {
      return false;
    }
  }
  return true;
}

/** Every value the path leads to (none: the field is missing), walking into arrays. */
function resolvePath(value: unknown, segments: readonly string[]): unknown[] {
  const found: unknown[] = [];
  walk(value, segments, 0, found);
  return found;
}

function walk(value: unknown, segments: readonly string[], index: number, found: unknown[]): void {
  if (index === segments.length) {
    found.push(value);
    return;
  }
  const segment = segments[index] as string;
  if (Array.isArray(value)) {
    if (/^(0|[1-9]\d{0,8})$/.test(segment)) {
      const position = Number(segment);
      if (position < value.length) walk(value[position], segments, index + 1, found);
    }
    for (const element of value) if (isPlainObject(element)) walk(element, segments, index, found);
    return;
  }
  if (isPlainObject(value) && hasOwn(value, segment)) walk(value[segment], segments, index + 1, found);
}

function matchCondition(found: unknown[], condition: unknown): boolean {
  if (!isOperatorObject(condition)) return equalsAny(found, condition);
  for (const operator of Object.keys(condition)) {
    const operand = condition[operator];
    if (!matchOperator(found, operator, operand)) return false;
  }
  return true;
}

function matchOperator(found: unknown[], operator: string, operand: unknown): boolean {
  switch (operator) {
    case '$eq':
      return equalsAny(found, operand);
    case '$ne':
      return !equalsAny(found, operand);
    case '$in':
      return Array.isArray(operand) && operand.some((v) => equalsAny(found, v));
    case '$nin':
      return !(Array.isArray(operand) && operand.some((v) => equalsAny(found, v)));
    case '$exists':
      return operand === true ? found.length > 0 : found.length === 0;
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return candidates(found).some((v) => compares(v, operator, operand));
    default:
      return false;
  }
}

/** The values found, and the elements of those that are arrays. */
function candidates(found: unknown[]): unknown[] {
  return found.flatMap((v): unknown[] => (Array.isArray(v) ? [v, ...(v as unknown[])] : [v]));
}

/** `$eq`: some value found (or an element of one) equals the operand; `null` also holds for a missing field. */
function equalsAny(found: unknown[], operand: unknown): boolean {
  if (operand === null && found.length === 0) return true;
  return candidates(found).some((v) => deepEqual(v, operand));
}

function compares(value: unknown, operator: string, operand: unknown): boolean {
  if (typeof value !== typeof operand || (typeof value !== 'number' && typeof value !== 'string')) return false;
  const a = value as number | string;
  const b = operand as number | string;
  switch (operator) {
    case '$gt':
      return a > b;
    case '$gte':
      return a >= b;
    case '$lt':
      return a < b;
    default:
      return a <= b;
  }
}

/** JSON equality: same type and value; arrays in order; objects with the same keys in any order. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => deepEqual(v, b[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(bRecord).length) return false;
  return aKeys.every((k) => hasOwn(bRecord, k) && deepEqual((a as Record<string, unknown>)[k], bRecord[k]));
}
