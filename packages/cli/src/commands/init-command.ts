import { defineCommand } from 'citty';
import { CliError } from '../errors.js';

import { initProfile, type Template } from './init.js';

export default defineCommand({
  meta: { name: 'init', description: 'Scaffold a new profile directory' },
  args: {
    dir: { type: 'positional', description: 'the new profile directory', required: true },
    template: { type: 'string', valueHint: 'NAME', description: 'minimal | debian-live', default: 'debian-live' },
  },
  async run({ args }) {
    if (args.template !== 'minimal' && args.template !== 'debian-live') {
      throw new CliError('ERR_USAGE', `unknown template ${JSON.stringify(args.template)}`, {
        hint: 'use --template minimal or --template debian-live',
      });
    }
    const files = await initProfile(args.dir, args.template as Template);
    process.stdout.write(`created ${args.dir}: ${files.join(', ')}\nnext: distroforge build ${args.dir}\n`);
    return 0;
  },
});
