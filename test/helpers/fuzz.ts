/** Runs and seed of property-based tests: modest and fixed in `npm test`, raised or varied through the environment. */
export const fuzzRuns = (base: number) => Number(process.env.FUZZ_RUNS ?? base);
export const fuzzSeed = (base: number) => Number(process.env.FUZZ_SEED ?? base);
