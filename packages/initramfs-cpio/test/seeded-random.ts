import { seededRandom } from '../../../tools/testing/seeded-random.mjs';

/** The fuzz tests' seeded PRNG (tools/testing): the same seed gives the same fuzz cases on every machine. */
export class SeededRandom {
  readonly #random: ReturnType<typeof seededRandom>;

  constructor(readonly seed: number) {
    this.#random = seededRandom(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.#random.next();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return this.#random.int(n);
  }

  pick<T>(items: readonly T[]): T {
    return this.#random.pick(items);
  }
}
