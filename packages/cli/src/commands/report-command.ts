import { defineCommand } from 'citty';
import { formatBytes } from '../report/html.js';
import { reportFor } from '../report/report-target.js';

export default defineCommand({
  meta: {
    name: 'report',
    description:
      'Write the HTML build report (stage timeline, size map, packages, boot timeline) of a profile\u2019s last build, or of an image file as is',
  },
  args: {
    profile: {
      type: 'positional',
      description: 'profile directory, an output of a build, or an image (squashfs, EROFS, ISO, disk) (default: .)',
      required: false,
      default: '.',
    },
    out: {
      type: 'string',
      alias: 'o',
      valueHint: 'DIR',
      description:
        'the build\u2019s output directory (default PROFILE/out); for an image, where the report goes (default .)',
    },
    state: {
      type: 'string',
      valueHint: 'DIR',
      description: 'the build\u2019s state directory, where its inventory is kept (default PROFILE/.distroforge)',
    },
    json: { type: 'boolean', description: 'print the result (the report file and its size) as JSON', default: false },
  },
  async run({ args }) {
    const result = await reportFor(args.profile, {
      ...(args.out ? { out: args.out } : {}),
      ...(args.state ? { state: args.state } : {}),
    });
    if (args.json) process.stdout.write(`${JSON.stringify({ type: 'result', ...result })}\n`);
    else process.stdout.write(`wrote ${result.file} (${formatBytes(result.bytes)})\n`);
    return 0;
  },
});
