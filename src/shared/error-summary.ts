/** One line about an error for a log or a stored reason: its first line, capped. Never throws, whatever was thrown. */
export function errorSummary(error: unknown, maxChars = 300): string {
  let message: string;
  try {
    message = error instanceof Error ? error.message : String(error);
  } catch {
    message = 'unprintable error';
  }
  return message.split('\n')[0].slice(0, maxChars);
}
