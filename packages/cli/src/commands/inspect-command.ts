import { defineCommand } from 'citty';
import { inspectFile } from './inspect.js';
import { renderReport } from './inspect-render.js';

export default defineCommand({
  meta: {
    name: 'inspect',
    description: 'Show what an rpm, deb, cpio/initramfs, squashfs, ISO or GPT disk image (raw or qcow2) contains',
  },
  args: {
    file: { type: 'positional', description: 'the file to inspect', required: true },
    json: { type: 'boolean', description: 'machine-readable output', default: false },
    summary: { type: 'boolean', description: 'only the summary, not the file table', default: false },
  },
  async run({ args }) {
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
    process.stdout.write(renderReport(result.file, result.human, { summaryOnly: args.summary, tty }));
    return 0;
  },
});
