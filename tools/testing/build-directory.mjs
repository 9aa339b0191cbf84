import { chmod, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';

/**
 * Builds a generated directory (a test repository) beside `out` and puts it in place only when
 * `fill(work)` succeeded: stamped with its input `key` in `.inputs` (what its generator compares
 * to reuse it), readable by everyone (an ordinary user's tests read it; mkdtemp made it 0700),
 * the old `out` replaced. A failure leaves the old one and no half-built directory.
 */
export async function buildDirectory(out, key, fill) {
  const work = await mkdtemp(`${out}.tmp-`);
  try {
    await fill(work);
    await writeFile(`${work}/.inputs`, `${key}\n`);
    await chmod(work, 0o755);
    await rm(out, { recursive: true, force: true });
    await rename(work, out);
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}
