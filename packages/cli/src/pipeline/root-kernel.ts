import { linkSync, mkdirSync, readdirSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { StageResult } from '../engine/stage-cache.js';
import { ensureModuleIndex } from './ensure-module-index.js';
import { findKernel, type KernelFiles } from './find-kernel.js';
import { linkTree } from './link-tree.js';
import type { Profile } from '../profile/profile-schema.js';

/** Whether a profile's rootfs stage hands its kernel over early (`RootKernelHandoff`): apt roots. */
export function handsKernelEarly(profile: Profile): boolean {
  return profile.source.type === 'apt';
}

/** The root kernel the live initramfs is made from, and the rootfs stage it belongs to. */
export interface RootKernel {
  /** The rootfs stage's key: the initramfs stage's upstream. */
  rootfsKey: string;
  /** A root holding the kernel (`boot/`, `[usr/]lib/modules/V`): the finished root, or a copy. */
  root: string;
  kernel: KernelFiles;
  /** Removes the copy, if this is one (the finished root stays). */
  release(): Promise<void>;
}

/**
 * Hands the root's kernel from the rootfs stage to the initramfs stage as soon as it exists. An
 * apt root's kernel package is unpacked well before its last `dpkg --configure`, which runs one
 * script after another on one core for seconds: the rootfs stage copies the kernel then (hard
 * links, from `onFilesUnpacked`) and the initramfs is made from the copy meanwhile, instead of
 * after the root, where it competed with the image, overlay and boot media stages.
 *
 * The copy is what the finished root will hold for the kernel: its files never change after
 * unpacking, except the module index the kernel's postinst writes (depmod), which the copy gets
 * from the host's depmod instead (the initramfs reads only the modules' dependencies from it, and
 * writes its own index of the modules it takes). A cached rootfs stage hands over its finished
 * root. Either way the same initramfs comes out, so both share its cache key.
 */
export class RootKernelHandoff {
  private settled = false;
  private handed: RootKernel | undefined;
  /** The copy's module index being written (`copyFrom`). */
  private copying: Promise<void> | undefined;
  private resolveKernel!: (kernel: RootKernel) => void;
  private rejectKernel!: (error: unknown) => void;
  /** Settles once: the copy, the finished root, or the rootfs stage's failure. */
  readonly kernel: Promise<RootKernel>;

  private readonly onNoCopy: (error: unknown) => void;
  private readonly writeModuleIndex: (root: string, kernel: KernelFiles) => Promise<unknown>;
  private readonly logFile: string;

  constructor(
    /** Where copies are made (a folder of the state that is cleaned after a killed build). */
    private readonly copyDir: string,
    options: {
      /** The build's tool log (the copy's `cp`). */
      logFile: string;
      /** Told why no copy was made (the build goes on with the finished root's kernel). */
      onNoCopy?: (error: unknown) => void;
      /** Writes a copy's module index (default: the host's depmod, `ensureModuleIndex`). */
      writeModuleIndex?: (root: string, kernel: KernelFiles) => Promise<unknown>;
    },
  ) {
    this.logFile = options.logFile;
    this.onNoCopy = options.onNoCopy ?? (() => undefined);
    this.writeModuleIndex = options.writeModuleIndex ?? ensureModuleIndex;
    this.kernel = new Promise<RootKernel>((resolve, reject) => {
      this.resolveKernel = resolve;
      this.rejectKernel = reject;
    });
    // Waited for by the initramfs stage only; a build failing before it must not leave this unhandled.
    this.kernel.catch(() => undefined);
  }

  /**
   * Copies the kernel of a root being built (`onFilesUnpacked`) and hands the copy over once its
   * module index is written. The bootstrap waits for the links only (a few thousand synchronous
   * calls); the host's depmod (~0.5 s) runs on the copy beside the root's last scripts. Never
   * fails the bootstrap: without a copy (no kernel in the root yet, a file call or depmod failing),
   * the finished root's kernel is handed over instead.
   */
  async copyFrom(root: string, rootfsKey: string, preferPackage?: string): Promise<void> {
    if (this.settled || this.copying) return;
    const copyRoot = this.copyDir;
    const dropCopy = async (error?: unknown) => {
      await rm(copyRoot, { recursive: true, force: true }).catch(() => undefined);
      if (error !== undefined) this.onNoCopy(error);
    };
    let kernel: KernelFiles;
    try {
      const found = await findKernel(root, preferPackage);
      await rm(copyRoot, { recursive: true, force: true });
      // lib/modules, where depmod -b looks (the copy has no merged-/usr links).
      const modulesDir = join(copyRoot, 'lib/modules', found.version);
      mkdirSync(join(copyRoot, 'boot'), { recursive: true });
      const vmlinuz = join(copyRoot, 'boot', `vmlinuz-${found.version}`);
      linkSync(found.vmlinuz, vmlinuz);
      // The kernel's configuration, which chooses the initramfs compression.
      const config = `config-${found.version}`;
      if (readdirSync(join(root, 'boot')).includes(config))
        linkSync(join(root, 'boot', config), join(copyRoot, 'boot', config));
      mkdirSync(join(copyRoot, 'lib/modules'), { recursive: true });
      await linkTree(found.modulesDir, modulesDir, { logFile: this.logFile });
      // The module index files get inodes of their own: depmod replaces them in the copy, and a
      // link would share the root's inode with whatever writes them.
      for (const name of readdirSync(modulesDir).filter((n) => n.startsWith('modules.'))) {
        await rm(join(modulesDir, name));
        await copyFile(join(found.modulesDir, name), join(modulesDir, name));
      }
      kernel = { version: found.version, vmlinuz, modulesDir };
    } catch (error) {
      await dropCopy(error);
      return;
    }
    this.copying = (async () => {
      try {
        // The index the kernel's postinst will write into the root, written into the copy instead.
        await this.writeModuleIndex(copyRoot, kernel);
      } catch (error) {
        await dropCopy(error);
        return;
      }
      // The finished root was handed over first (or the stage failed): the copy is not needed.
      if (this.settled) await dropCopy();
      else
        this.settle({
          rootfsKey,
          root: copyRoot,
          kernel,
          release: () => rm(copyRoot, { recursive: true, force: true }),
        });
    })();
  }

  /** Hands over the finished root's kernel (the rootfs stage came from the cache, or ran without a copy). */
  async fromRoot(rootfs: StageResult<unknown>, preferPackage?: string): Promise<void> {
    if (this.settled) return;
    try {
      this.settle(await finishedRootKernel(rootfs, preferPackage));
    } catch (error) {
      // No kernel in the root: the initramfs stage reports it, as it did reading the root itself.
      this.fail(error);
    }
  }

  /**
   * The kernel, or the rootfs stage's failure; rejects with the reason when `signal` aborts first
   * (a build stopped before its rootfs stage ran never hands anything over).
   */
  wait(signal: AbortSignal | undefined): Promise<RootKernel> {
    if (!signal) return this.kernel;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<RootKernel>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.kernel.then(
        (kernel) => {
          signal.removeEventListener('abort', onAbort);
          resolve(kernel);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /** The rootfs stage failed: so does the wait for its kernel (unless a copy was handed over already). */
  fail(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectKernel(error);
  }

  /** Removes a copy no stage used (the build stopped before its initramfs stage): at the end of every build. */
  async discard(): Promise<void> {
    await this.copying;
    await this.handed?.release();
  }

  private settle(kernel: RootKernel): void {
    this.settled = true;
    this.handed = kernel;
    this.resolveKernel(kernel);
  }
}

/** The kernel of a finished root (a rootfs stage's `rootfs/`): `preferPackage`'s, else the newest. */
export async function finishedRootKernel(rootfs: StageResult<unknown>, preferPackage?: string): Promise<RootKernel> {
  const root = join(rootfs.dir, 'rootfs');
  return { rootfsKey: rootfs.key, root, kernel: await findKernel(root, preferPackage), release: async () => undefined };
}
