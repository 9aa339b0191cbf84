/** A seeded PRNG (mulberry32): `next()` in [0, 1), `int(n)` in [0, n), `pick(items)`. */
export interface SeededRandom {
  readonly seed: number;
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}
export declare function seededRandom(seed: number): SeededRandom;
