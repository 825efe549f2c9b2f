/**
 * How a failed attempt reads in the Temporal UI. The failure's message stays the short reason the delivery row
 * records (`HTTP 500`, `timeout after 5000 ms`); the stack trace, which the UI shows beside it, carries the
 * receiver's answer instead of the worker's file paths: who answered what, how fast, and the start of the body.
 */
import { ApplicationFailure, type ApplicationFailureOptions } from '@temporalio/common';
import type { WebhookAttempt } from '../src/http/webhook-client';
import { truncateText } from '../src/shared/storable-text';

/** Characters of the receiver's body shown in the UI (the attempt log keeps 1 KiB). */
export const ANSWER_EXCERPT_CHARS = 300;

export function receiverAnswer(host: string, sent: WebhookAttempt): string {
  const { result, durationMs } = sent;
  if (result.kind === 'error') return `${host}: ${result.error} after ${durationMs} ms: ${result.message}`;
  const head = `${host} answered HTTP ${result.statusCode} in ${durationMs} ms`;
  const body = (sent.responseExcerpt ?? '').replace(/\s+/g, ' ').trim();
  if (!body) return `${head} (empty body)`;
  return `${head}:\n${body.length > ANSWER_EXCERPT_CHARS ? `${truncateText(body, ANSWER_EXCERPT_CHARS)}…` : body}`;
}

/** An ApplicationFailure whose stack trace is `trace` (the receiver's answer), or nothing: never the worker's code. */
export function presentedFailure(options: ApplicationFailureOptions, trace = ''): ApplicationFailure {
  const failure = ApplicationFailure.create(options);
  failure.stack = trace;
  return failure;
}

/** A non-retryable refusal before any request (subscription gone, inactive, ...): the message says it all. */
export function refusal(message: string, type: string): ApplicationFailure {
  return presentedFailure({ message, type, nonRetryable: true });
}
