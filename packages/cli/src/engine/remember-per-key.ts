/**
 * `compute` remembered per key for one build: every later caller of a key gets the first call's
 * promise (the work runs once), unless it failed, which a later caller may try again.
 */
export function rememberPerKey<T>(compute: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const remembered = new Map<string, Promise<T>>();
  return (key) => {
    let value = remembered.get(key);
    if (!value) {
      value = compute(key);
      remembered.set(key, value);
      value.catch(() => remembered.delete(key));
    }
    return value;
  };
}
