import { seededRandom } from '../../../tools/testing/seeded-random.mjs';

/** The fuzz tests' seeded PRNG as a function, so a run's mutations can be replayed from its seed. */
export function prng(seed: number): () => number {
  return seededRandom(seed).next;
}
