import { defineCommand } from 'citty';
import { inspectFile } from './inspect.js';
import { renderReport } from './inspect-render.js';

export default defineCommand({
  meta: {
    name: 'inspect',
    description:
      'Show what an rpm, deb, pacman package or database, cpio/initramfs, squashfs, EROFS, ISO or GPT disk image (raw or qcow2) is and holds',
  },
  args: {
    file: {
      type: 'positional',
      description: 'the file to inspect (with --sizes: also a profile directory)',
      required: true,
    },
    json: { type: 'boolean', description: 'machine-readable output', default: false },
    summary: { type: 'boolean', description: 'only the summary, not the file table', default: false },
    sizes: {
      type: 'boolean',
      description: 'size breakdown of an image or a built profile: top packages, folders, files',
      default: false,
    },
    top: { type: 'string', valueHint: 'N', description: 'rows per table with --sizes (default 20)' },
    out: { type: 'string', valueHint: 'DIR', description: "with --sizes and a profile: its build's output directory" },
    state: { type: 'string', valueHint: 'DIR', description: "with --sizes and a profile: its build's state directory" },
  },
  async run({ args }) {
    if (args.sizes) return (await import('./inspect-sizes.js')).runInspectSizes(args.file, args);
    const result = await inspectFile(args.file);
    if (args.json) {
      // The JSON keeps its shape: file, kind, summary, entries (the human report is not part of it).
      const { file, kind, summary, entries } = result;
      process.stdout.write(
        `${JSON.stringify(args.summary ? { file, kind, summary } : { file, kind, summary, entries })}\n`,
      );
      return 0;
    }
    const tty = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
    process.stdout.write(
      renderReport(result.file, result.human, {
        summaryOnly: args.summary,
        tty,
        width: process.stdout.isTTY ? process.stdout.columns : undefined,
      }),
    );
    return 0;
  },
});
