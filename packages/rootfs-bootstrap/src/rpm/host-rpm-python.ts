import { findTool, ToolMissingError, type FoundTool } from '@distroforge/core';

/**
 * The host's librpm driven from Python (Debian's python3-rpm, built from the same rpm source as its
 * `rpm`): the only way to hold one rpm transaction open between packages and to run rpm's embedded
 * Lua in a process that enters the image root itself. The distribution's /usr/bin/python3 is tried
 * first (python3-rpm installs there; a python3 earlier on PATH, e.g. pyenv's, lacks the module).
 * `version` is the rpm bindings' version.
 */
export async function findHostRpmPython(): Promise<FoundTool> {
  for (const names of [['/usr/bin/python3'], ['python3']]) {
    const found = await findTool({
      names,
      install: 'apt-get install python3-rpm',
      versionArgs: ['-c', 'import rpm; print("rpm", rpm.__version__)'],
      parseVersion: (output) => /^rpm (\d+(?:\.\d+)+)/m.exec(output)?.[1],
    }).catch(() => undefined);
    if (found && found.version !== 'unknown') return found;
  }
  throw new ToolMissingError('python3-rpm (python3 with the rpm module)', 'apt-get install python3-rpm');
}
