import { z } from 'zod';
import { codePointLength, textProblem, urlTextProblem } from '../shared/text-rules';

/**
 * Zod builders for the API's text fields (src/shared/text-rules.ts says what is refused and why). `maxLength` is
 * in Unicode code points, which is also how JSON Schema counts it in the OpenAPI document.
 */
export function textField(maxLength: number) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
      else if (codePointLength(value) > maxLength) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${maxLength} characters (Unicode code points)` });
      }
    })
    .meta({ maxLength });
}

/** An absolute http(s) URL taken exactly as given: whitespace, controls and backslashes anywhere are refused. */
export function urlField(maxLength: number) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = urlTextProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
      else if (codePointLength(value) > maxLength) ctx.addIssue({ code: 'custom', message: `must be at most ${maxLength} characters` });
    })
    .pipe(z.url({ protocol: /^https?$/, hostname: /./, message: 'must be an absolute http(s) URL' }))
    .meta({ maxLength, format: 'uri' });
}
