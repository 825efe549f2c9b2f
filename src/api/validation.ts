import type { z } from 'zod';
import { ApiError, type ErrorDetail } from './api-error';

/** zod issues -> one detail per field; unknown keys become one detail each, named by the key. */
export function issuesToDetails(issues: readonly z.core.$ZodIssue[], root?: string): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  for (const issue of issues) {
    const base = [...(root ? [root] : []), ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) details.push({ field: [...base, key].join('.'), message: 'unknown field' });
    } else {
      details.push({ field: base.length ? base.join('.') : undefined, message: issue.message });
    }
  }
  return details;
}

/** Parses `input` with `schema` or throws 400 validation_failed with a detail per problem. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, root?: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ApiError(400, 'validation_failed', `${what} is invalid`, issuesToDetails(parsed.error.issues, root));
  }
  return parsed.data;
}
