/** A property test's runs and seed: its own base values, or FUZZ_RUNS / FUZZ_SEED when set (`npm run test:fuzz`). */
export const fuzzRuns = (base: number): number => Number(process.env.FUZZ_RUNS ?? base);
export const fuzzSeed = (base: number): number => Number(process.env.FUZZ_SEED ?? base);
