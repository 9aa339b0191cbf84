/**
 * What a transaction knows is in its root: the top-level entries it started with (the local
 * database's `var`, the mount points) and every path its unpacks made. While nothing else wrote
 * into the root (no scriptlet, hook or ldconfig ran yet: `forget()`), a path outside those entries
 * that no unpack made does not exist, so the unpack makes it without looking (an lstat per member
 * otherwise). Host paths, as the unpack resolves them.
 */
export class KnownTree {
  private readonly madePaths = new Set<string>();
  private readonly prefix: string;
  private exact = true;

  constructor(
    root: string,
    /** The root's top-level names when the transaction started. */
    private readonly present: ReadonlySet<string>,
  ) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
  }

  /** Whether nothing can be at `host` (a path inside the root). */
  isFree(host: string): boolean {
    if (!this.exact || this.madePaths.has(host) || !host.startsWith(this.prefix)) return false;
    const slash = host.indexOf('/', this.prefix.length);
    return !this.present.has(slash === -1 ? host.slice(this.prefix.length) : host.slice(this.prefix.length, slash));
  }

  made(host: string): void {
    if (this.exact) this.madePaths.add(host);
  }

  /** Something else may have written into the root: every path is looked at from now on. */
  forget(): void {
    this.exact = false;
    this.madePaths.clear();
  }
}
