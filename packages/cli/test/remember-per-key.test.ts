// rememberPerKey: one computation per key for every caller (the tree walker, the boot-file choice),
// and a failed one is not kept.
import { describe, expect, it } from 'vitest';
import { rememberPerKey } from '../src/engine/remember-per-key.js';

describe('rememberPerKey', () => {
  it('computes each key once, hands later callers the same promise, and computes a failed key again', async () => {
    const calls: string[] = [];
    let failNext = true;
    const remembered = rememberPerKey(async (key) => {
      calls.push(key);
      if (key === 'bad' && failNext) {
        failNext = false;
        throw new Error('first try fails');
      }
      return `${key}!`;
    });
    const a = remembered('a');
    expect(remembered('a')).toBe(a);
    expect(await a).toBe('a!');
    expect(await remembered('b')).toBe('b!');
    await expect(remembered('bad')).rejects.toThrow('first try fails');
    expect(await remembered('bad')).toBe('bad!');
    expect(calls).toEqual(['a', 'b', 'bad', 'bad']);
  });
});
