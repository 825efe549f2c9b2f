import { attemptOutcomeClass, eventTypeLabel, statusClassLabel } from '../../src/metrics/labels';
import { AttemptErrorKind, type AttemptResult } from '../../src/http/outcome';

const response = (statusCode: number): AttemptResult => ({ kind: 'response', statusCode, headers: {} });
const failure = (error: AttemptErrorKind): AttemptResult => ({ kind: 'error', error, message: 'x' });

describe('metric labels', () => {
  it.each([
    [response(200), '2xx'],
    [response(204), '2xx'],
    [response(301), '3xx'],
    [response(410), '4xx'],
    [response(429), '4xx'],
    [response(503), '5xx'],
    [response(999), 'other_status'],
    [failure(AttemptErrorKind.TIMEOUT), 'timeout'],
    [failure(AttemptErrorKind.CONNECTION), 'network'],
    [failure(AttemptErrorKind.TARGET_NOT_ALLOWED), 'refused'],
    [failure(AttemptErrorKind.REQUEST), 'error'],
  ])('classifies an attempt %j as %s', (result, expected) => {
    expect(attemptOutcomeClass(result)).toBe(expected);
  });

  it('keeps catalog event types and folds anything else into one value', () => {
    expect(eventTypeLabel('NEW_MESSAGE_FROM_VISITOR')).toBe('NEW_MESSAGE_FROM_VISITOR');
    expect(eventTypeLabel('SUBSCRIPTION_DISABLED')).toBe('SUBSCRIPTION_DISABLED');
    expect(eventTypeLabel('WEBHOOK_TEST')).toBe('WEBHOOK_TEST');
    expect(eventTypeLabel('evt_123_made_up')).toBe('other');
    expect(eventTypeLabel('')).toBe('other');
  });

  it('names status classes', () => {
    expect(statusClassLabel(201)).toBe('2xx');
    expect(statusClassLabel(404)).toBe('4xx');
    expect(statusClassLabel(500)).toBe('5xx');
    expect(statusClassLabel(42)).toBe('other');
  });
});
