import type { FoundTool } from '@distroforge/core';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The host's librpm runs the wrapper inside the image root: Lua is set up before the chroot (as rpm
 * sets it up at start), then the process enters the root, `/` and umask 022 (rpm's transaction
 * umask) as rpm runs a `<lua>` scriptlet after `rpmChrootIn`, in-process. A Lua error fails the
 * expansion, hence a non-zero exit; what the scriptlet prints comes out on stdout.
 */
const HOST_LUA = `
import os, sys, rpm
root, wrapper = sys.argv[1:3]
rpm.expandMacro('%{lua: }')
os.chroot(root)
os.chdir('/')
os.umask(0o022)
try:
    out = rpm.expandMacro('%{lua: dofile("' + wrapper + '")}')
except rpm.error:
    sys.exit(1)
sys.stdout.write(out)
`;

/** How one `<lua>` scriptlet is run: by the image's own rpm, or by the host's librpm entering the root. */
export type LuaInterpreter = { kind: 'image-rpm' } | { kind: 'host'; python: FoundTool };

/**
 * Writes a `<lua>` scriptlet's body and a wrapper under `/var/tmp` of `root` and returns the command
 * that runs it: `rpm --eval '%{lua: dofile(wrapper)}'` with the image's rpm, or the host's librpm
 * (python3-rpm) chrooting itself (`hostProgram`). The wrapper does what rpm 4.18's `runLuaScript`
 * and `rpmluaRunScript` do: the body is loaded after `local opt, arg = ...;` as a chunk named after
 * the scriptlet, called with `arg = { "<lua>", arg1, arg2 }` (numbers), in `/`; a file trigger's
 * `rpm.next_file()` returns the matching paths one by one (here from stdin), then nil.
 */
export async function prepareLuaScriptlet(
  root: string,
  base: string,
  script: { body?: string | undefined; description: string; args: readonly number[]; fileTrigger: boolean },
  interpreter: LuaInterpreter,
): Promise<{ argv: string[]; hostProgram: boolean; files: string[] }> {
  const body = `${base}.lua`;
  const wrapper = `${base}.run.lua`;
  const lines = [
    `local f = assert(io.open(${JSON.stringify(body)}, "rb"))`,
    'local text = f:read("a")',
    'f:close()',
    `local chunk = assert(load("local opt, arg = ...;" .. text, ${JSON.stringify(script.description)}))`,
    ...(script.fileTrigger ? ['rpm.next_file = function() return io.stdin:read("l") end'] : []),
    'posix.chdir("/")',
    `chunk({}, { "<lua>"${script.args.map((a) => `, ${a}`).join('')} })`,
    ...(script.fileTrigger ? ['rpm.next_file = nil'] : []),
    '',
  ];
  await writeFile(join(root, body), script.body ?? '', { mode: 0o600 });
  await writeFile(join(root, wrapper), lines.join('\n'), { mode: 0o600 });
  const argv =
    interpreter.kind === 'image-rpm'
      ? ['/usr/bin/rpm', '--eval', `%{lua: dofile("${wrapper}")}`]
      : [interpreter.python.path, '-c', HOST_LUA, root, wrapper];
  return { argv, hostProgram: interpreter.kind === 'host', files: [body, wrapper] };
}
