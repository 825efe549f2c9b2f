import { checkFilter, FILTER_LIMITS, matchesFilter, type EventFilter } from '../../src/subscriptions/event-filter';

const data = {
  message: {
    text: 'hello',
    attachments: [
      { kind: 'image', size: 120 },
      { kind: 'file', size: 4000 },
    ],
    priority: 3,
    flagged: false,
    editedAt: null,
  },
  tags: ['vip', 'new'],
  visitor: { id: 'v_1', country: 'FR', score: 7.5 },
  counts: [1, 5, 9],
  matrix: [
    [1, 2],
    [3, 4],
  ],
  'dotted.key': 'unreachable by path',
};

const table: Array<[string, EventFilter | null, unknown, boolean]> = [
  ['null filter matches everything', null, data, true],
  ['empty filter matches everything', {}, data, true],
  ['bare value: equality on a nested path', { 'visitor.country': 'FR' }, data, true],
  ['bare value: inequality on a nested path', { 'visitor.country': 'DE' }, data, false],
  ['deep path three levels down', { 'message.attachments.kind': 'file' }, data, true],
  ['array of scalars: any element equals', { tags: 'vip' }, data, true],
  ['array of scalars: no element equals', { tags: 'old' }, data, false],
  ['array equals the whole array', { tags: ['vip', 'new'] }, data, true],
  ['array in another order is not equal', { tags: ['new', 'vip'] }, data, false],
  ['numeric step indexes an array', { 'message.attachments.0.kind': 'image' }, data, true],
  ['numeric step out of range: missing', { 'message.attachments.5.kind': { $exists: true } }, data, false],
  ['$gt on an array element', { 'message.attachments.size': { $gt: 1000 } }, data, true],
  ['$gt no element bigger', { 'message.attachments.size': { $gt: 5000 } }, data, false],
  ['$gte boundary', { 'message.priority': { $gte: 3 } }, data, true],
  ['$lt boundary excluded', { 'message.priority': { $lt: 3 } }, data, false],
  ['$lte with a float', { 'visitor.score': { $lte: 7.5 } }, data, true],
  ['range: two operators both hold', { 'message.priority': { $gt: 1, $lt: 5 } }, data, true],
  ['range: one operator fails', { 'message.priority': { $gt: 1, $lt: 2 } }, data, false],
  ['type mismatch: number operand, string value', { 'visitor.id': { $gt: 0 } }, data, false],
  ['type mismatch: string operand, number value', { 'message.priority': { $gt: '1' } }, data, false],
  ['type mismatch: equality never coerces', { 'message.priority': '3' }, data, false],
  ['string comparison', { 'visitor.country': { $gte: 'EA', $lt: 'GA' } }, data, true],
  ['$ne holds for a different value', { 'visitor.country': { $ne: 'DE' } }, data, true],
  ['$ne fails for the value', { 'visitor.country': { $ne: 'FR' } }, data, false],
  ['$ne holds for a missing field', { 'visitor.city': { $ne: 'Paris' } }, data, true],
  ['$ne on an array: fails when any element equals', { tags: { $ne: 'vip' } }, data, false],
  ['$in one of', { 'visitor.country': { $in: ['DE', 'FR'] } }, data, true],
  ['$in none of', { 'visitor.country': { $in: ['DE', 'IT'] } }, data, false],
  ['$in against an array field', { tags: { $in: ['old', 'new'] } }, data, true],
  ['$in empty list never holds', { tags: { $in: [] } }, data, false],
  ['$nin none of', { 'visitor.country': { $nin: ['DE', 'IT'] } }, data, true],
  ['$nin holds for a missing field', { 'visitor.city': { $nin: ['Paris'] } }, data, true],
  ['$exists true on a present field', { 'message.attachments': { $exists: true } }, data, true],
  ['$exists true on a null field', { 'message.editedAt': { $exists: true } }, data, true],
  ['$exists false on a missing field', { 'message.deletedAt': { $exists: false } }, data, true],
  ['$exists false on a present field', { 'message.text': { $exists: false } }, data, false],
  ['missing field never equals a value', { 'message.subject': 'hi' }, data, false],
  ['null equals a missing field', { 'message.subject': null }, data, true],
  ['null equals a null field', { 'message.editedAt': null }, data, true],
  ['null does not equal a present value', { 'message.text': null }, data, false],
  ['false equals false, not missing', { 'message.flagged': false }, data, true],
  ['path through a scalar is missing', { 'message.text.length': { $exists: true } }, data, false],
  ['dotted key is not reachable as one name', { 'dotted.key': 'unreachable by path' }, data, false],
  ['object equality ignores key order', { visitor: { score: 7.5, country: 'FR', id: 'v_1' } }, data, true],
  ['object equality needs every key', { visitor: { country: 'FR' } }, data, false],
  ['$and all hold', { $and: [{ tags: 'vip' }, { 'visitor.country': 'FR' }] }, data, true],
  ['$and one fails', { $and: [{ tags: 'vip' }, { 'visitor.country': 'DE' }] }, data, false],
  ['$or one holds', { $or: [{ tags: 'old' }, { 'visitor.country': 'FR' }] }, data, true],
  ['$or none holds', { $or: [{ tags: 'old' }, { 'visitor.country': 'DE' }] }, data, false],
  ['$or nested in $and', { $and: [{ $or: [{ counts: 9 }, { counts: 10 }] }, { 'message.flagged': false }] }, data, true],
  ['keys of one object are ANDed', { tags: 'vip', 'visitor.country': 'DE' }, data, false],
  ['array of arrays: equality with an inner array', { matrix: [3, 4] }, data, true],
  ['data that is not an object: every path missing', { a: { $exists: true } }, 'text', false],
  ['data null: $exists false holds', { a: { $exists: false } }, null, true],
  ['__proto__ is only an own key', { 'visitor.__proto__': { $exists: true } }, data, false],
  ['constructor is not found on plain data', { constructor: { $exists: true } }, {}, false],
];

describe('matchesFilter', () => {
  it.each(table)('%s', (_name, filter, value, expected) => {
    expect(filter === null || checkFilter(filter) === null).toBe(true);
    expect(matchesFilter(filter, value)).toBe(expected);
  });
});

describe('checkFilter', () => {
  const invalid: Array<[string, unknown, (string | number)[]]> = [
    ['not an object', [1], []],
    ['a string', 'x', []],
    ['unknown operator', { a: { $regex: 'x' } }, ['a', '$regex']],
    ['unknown top-level operator', { $not: { a: 1 } }, ['$not']],
    ['$and not an array', { $and: { a: 1 } }, ['$and']],
    ['$or empty', { $or: [] }, ['$or']],
    ['$or element not an object', { $or: [{ a: 1 }, 2] }, ['$or', 1]],
    ['bad operator deep inside', { $and: [{ $or: [{ a: { $gt: true } }] }] }, ['$and', 0, '$or', 0, 'a', '$gt']],
    ['$in not an array', { a: { $in: 'x' } }, ['a', '$in']],
    ['$exists not a boolean', { a: { $exists: 1 } }, ['a', '$exists']],
    ['mixed operators and fields', { a: { $eq: 1, b: 2 } }, ['a', 'b']],
    ['empty path segment', { 'a..b': 1 }, ['a..b']],
    ['control character in a path', { 'a\nb': 1 }, ['a\nb']],
    ['NUL in a value', { a: 'x\u0000' }, ['a']],
    ['lone surrogate in a value', { a: { $in: ['\ud800'] } }, ['a', '$in', 0]],
  ];
  it.each(invalid)('refuses %s, naming the bad part', (_name, filter, path) => {
    expect(checkFilter(filter)?.path).toEqual(path);
  });

  it('bounds the size, the depth, the conditions, the paths and the $in lists', () => {
    expect(checkFilter({ a: 'x'.repeat(FILTER_LIMITS.maxBytes) })?.message).toMatch(/bytes/);
    let deep: unknown = 1;
    for (let i = 0; i <= FILTER_LIMITS.maxDepth; i++) deep = { a: deep };
    expect(checkFilter(deep)?.message).toMatch(/levels deep/);
    const many = Object.fromEntries(Array.from({ length: FILTER_LIMITS.maxConditions + 1 }, (_, i) => [`f${i}`, i]));
    expect(checkFilter(many)?.message).toMatch(/conditions/);
    expect(checkFilter({ [Array.from({ length: FILTER_LIMITS.maxPathSegments + 1 }, () => 'a').join('.')]: 1 })?.message).toMatch(
      /segments/,
    );
    expect(checkFilter({ a: { $in: Array.from({ length: FILTER_LIMITS.maxInValues + 1 }, (_, i) => i) } })?.message).toMatch(/at most/);
  });

  it('accepts filters at the bounds', () => {
    expect(checkFilter({ a: { $in: Array.from({ length: FILTER_LIMITS.maxInValues }, (_, i) => i) } })).toBeNull();
    expect(checkFilter(Object.fromEntries(Array.from({ length: FILTER_LIMITS.maxConditions }, (_, i) => [`f${i}`, i])))).toBeNull();
  });
});
