/** Property-test sizing: `npm test` runs the base count with a fixed seed; `npm run test:fuzz` raises both by env. */
export const fuzzRuns = (base: number): number => Number(process.env.FUZZ_RUNS ?? base);
export const fuzzSeed = (base: number): number => Number(process.env.FUZZ_SEED ?? base);
