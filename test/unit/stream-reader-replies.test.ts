import { compareIds, describeFields, entriesOfReadReply, fieldValue, nextId, parseInfoGroups } from '../../src/events/stream/replies';

describe('stream reader reply parsing', () => {
  it('takes the entries of one stream from an XREADGROUP reply, and none from a timed-out block', () => {
    const reply = [
      [
        's',
        [
          ['1-0', ['event', '{}']],
          ['2-0', ['event', '[]']],
        ],
      ],
    ];
    expect(entriesOfReadReply(reply)).toEqual([
      ['1-0', ['event', '{}']],
      ['2-0', ['event', '[]']],
    ]);
    expect(entriesOfReadReply(null)).toEqual([]);
    expect(entriesOfReadReply([])).toEqual([]);
  });

  it('reads a field of a flat field list and describes the list as JSON', () => {
    expect(fieldValue(['a', '1', 'event', 'x'], 'event')).toBe('x');
    expect(fieldValue(['a', '1'], 'event')).toBeUndefined();
    expect(fieldValue(['event'], 'event')).toBeUndefined();
    expect(describeFields(['payload', '{"id":1}', 'b', '2'])).toBe('{"payload":"{\\"id\\":1}","b":"2"}');
  });

  it('orders ids numerically by time then sequence, and gives the next id', () => {
    expect(compareIds('9-0', '10-0')).toBe(-1);
    expect(compareIds('10-2', '10-10')).toBe(-1);
    expect(compareIds('10-1', '10-1')).toBe(0);
    expect(compareIds('11-0', '10-99')).toBe(1);
    expect(nextId('1700000000000-41')).toBe('1700000000000-42');
    expect(nextId('0-0')).toBe('0-1');
    expect(nextId('1-18446744073709551615')).toBe('1-18446744073709551616');
  });

  it('parses XINFO GROUPS, with lag unknown as null', () => {
    const reply = [
      ['name', 'g1', 'consumers', 2, 'pending', 3, 'last-delivered-id', '5-0', 'entries-read', 7, 'lag', 1],
      ['name', 'g2', 'consumers', 0, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', null],
    ];
    expect(parseInfoGroups(reply)).toEqual([
      { name: 'g1', pending: 3, lastDeliveredId: '5-0', lag: 1 },
      { name: 'g2', pending: 0, lastDeliveredId: '0-0', lag: null },
    ]);
  });
});
