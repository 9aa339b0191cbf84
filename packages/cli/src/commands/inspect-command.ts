import { defineCommand } from 'citty';
import { inspectFile } from './inspect.js';

export default defineCommand({
  meta: {
    name: 'inspect',
    description: 'Show what an rpm, deb, cpio/initramfs, squashfs, ISO or GPT disk image (raw or qcow2) contains',
  },
  args: {
    file: { type: 'positional', description: 'the file to inspect', required: true },
    json: { type: 'boolean', description: 'machine-readable output', default: false },
    summary: { type: 'boolean', description: 'only the summary, not every entry', default: false },
  },
  async run({ args }) {
    const result = await inspectFile(args.file);
    if (args.json) {
      process.stdout.write(`${JSON.stringify(args.summary ? { ...result, entries: undefined } : result)}\n`);
      return 0;
    }
    process.stdout.write(`${result.file}: ${result.kind}\n`);
    for (const [key, value] of Object.entries(result.summary))
      process.stdout.write(`  ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}\n`);
    if (!args.summary) for (const line of result.entries) process.stdout.write(`${line}\n`);
    return 0;
  },
});
