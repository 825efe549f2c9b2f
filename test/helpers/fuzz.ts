/**
 * Property-based tests run a modest, fixed-seed number of cases in `npm test`; a longer run raises them:
 * `FUZZ_RUNS=5000 FUZZ_SEED=7 npx jest test/integration/api-fuzz.test.ts`.
 */
export const fuzzRuns = (base: number): number => Number(process.env.FUZZ_RUNS ?? base);
export const fuzzSeed: number = Number(process.env.FUZZ_SEED ?? 19);
