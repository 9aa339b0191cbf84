import { DistroforgeError, findTool, knownTools } from '@distroforge/core';

const xz = await findTool(knownTools.xz);
console.log(`found ${xz.name} ${xz.version}`);

try {
  await findTool({ names: ['mksquashfs-nope'], install: 'apt-get install squashfs-tools' });
} catch (error) {
  if (error instanceof DistroforgeError) console.log(error.describe());
}
