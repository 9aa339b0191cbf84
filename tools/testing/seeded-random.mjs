// The seeded PRNG of the fuzz tests (mulberry32): small, fast, and the same cases for a seed on
// every machine, so a failure replays from the seed it prints.
export function seededRandom(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { seed, next, int, pick: (items) => items[int(items.length)] };
}
