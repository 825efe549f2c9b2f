/** What every CLI command shares: a usage error (exit code 2, no stack) and where its output goes. */
export class UsageError extends Error {}

export interface CliOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}
