// Packages of the rpm test repository that make an "EL system" transaction worth checking: every
// scriptlet kind rpm runs on a fresh install, triggers, file triggers, %config and %ghost files,
// a conflicting pair and a pair sharing identical files, a failing %pre. generate.mjs builds them
// with the others (its cache key covers this file).
//
// Every shell scriptlet appends one line to /el-order.log in the image ("<package> <slot> <args>",
// file triggers add the paths rpm gave them on stdin), so the order and arguments of what ran can
// be compared with what rpm (dnf --installroot) runs for the same transaction. They need /bin/sh:
// each package Requires(pre,post) busybox.

/** Scriptlet dependencies shared by the packages below (the image's /bin/sh is busybox's). */
const SHELL = 'Requires(pre): busybox\nRequires(post): busybox\nRequires(posttrans): busybox';

const log = (name, slot) => `echo "${name} ${slot} $*" >> /el-order.log`;

function spec(name, { requires = '', body = '', files = '', install = '' } = {}) {
  return `
%global debug_package %{nil}
Name: ${name}
Version: 1.0
Release: 1
Summary: ${name}
License: MIT
BuildArch: noarch
AutoReqProv: no
${requires}
%description
${name} (rpm test repository, el-system-packages.mjs)
%install
mkdir -p %{buildroot}/usr/share/el
${install}
${body}
%files
${files}
`;
}

/** The packages: `id` names the rpmbuild work folder, `spec` is the spec file. */
export const EL_SYSTEM_PACKAGES = [
  {
    // A trigger set off by another package installed after it (Requires orders it first).
    id: 'el-trigger-host',
    spec: spec('el-trigger-host', {
      requires: SHELL,
      install: "printf 'host\\n' > %{buildroot}/usr/share/el/trigger-host",
      body: `%post\n${log('el-trigger-host', '%post')}\n%triggerin -- el-trigger-target\n${log('el-trigger-host', '%triggerin')}\n`,
      files: '/usr/share/el/trigger-host',
    }),
  },
  {
    id: 'el-trigger-target',
    spec: spec('el-trigger-target', {
      requires: `${SHELL}\nRequires: el-trigger-host`,
      install: "printf 'target\\n' > %{buildroot}/usr/share/el/trigger-target",
      body: `%post\n${log('el-trigger-target', '%post')}\n`,
      files: '/usr/share/el/trigger-target',
    }),
  },
  {
    // One %triggerin script with two names, both installed before it: rpm runs it once.
    id: 'el-trigger-late',
    spec: spec('el-trigger-late', {
      requires: `${SHELL}\nRequires: el-trigger-target\nRequires: el-data-early`,
      install: "printf 'late\\n' > %{buildroot}/usr/share/el/trigger-late",
      body: `%triggerin -- el-trigger-target, el-data-early\n${log('el-trigger-late', '%triggerin')}\n`,
      files: '/usr/share/el/trigger-late',
    }),
  },
  {
    // Files under /usr/share/el-data installed before the file-trigger package (its own
    // %filetriggerin then runs at once for them) and after it (set off by their install).
    id: 'el-data-early',
    spec: spec('el-data-early', {
      requires: SHELL,
      install: 'mkdir -p %{buildroot}/usr/share/el-data && printf early > %{buildroot}/usr/share/el-data/early',
      files: '/usr/share/el-data/early',
    }),
  },
  {
    id: 'el-filetrigger',
    spec: spec('el-filetrigger', {
      requires: `${SHELL}\nRequires: el-data-early`,
      install: "printf 'ft\\n' > %{buildroot}/usr/share/el/filetrigger",
      body: [
        `%post\n${log('el-filetrigger', '%post')}`,
        `%filetriggerin -- /usr/share/el-data\n${log('el-filetrigger', '%filetriggerin')}\nsort | sed 's/^/  /' >> /el-order.log`,
        `%transfiletriggerin -- /usr/share/el-data\n${log('el-filetrigger', '%transfiletriggerin')}\nsort | sed 's/^/  /' >> /el-order.log`,
      ].join('\n'),
      files: '/usr/share/el/filetrigger',
    }),
  },
  {
    id: 'el-data',
    spec: spec('el-data', {
      requires: `${SHELL}\nRequires: el-filetrigger`,
      install:
        'mkdir -p %{buildroot}/usr/share/el-data && printf a > %{buildroot}/usr/share/el-data/a && printf b > %{buildroot}/usr/share/el-data/b',
      body: `%post\n${log('el-data', '%post')}\n`,
      files: '/usr/share/el-data/a\n/usr/share/el-data/b',
    }),
  },
  {
    // <lua> scriptlets (rpm's embedded interpreter) beside shell %pre/%post/%posttrans.
    id: 'el-lua',
    spec: spec('el-lua', {
      requires: SHELL,
      install: "printf 'lua\\n' > %{buildroot}/usr/share/el/lua",
      body: [
        '%pretrans -p <lua>\nlocal f = io.open("/el-lua-pretrans.out", "w")\nif f then f:write("pretrans\\n") f:close() end',
        '%post -p <lua>\nlocal f = io.open("/el-lua.out", "w")\nf:write("lua post " .. tostring(arg[2]) .. "\\n")\nf:close()',
        `%pre\n${log('el-lua', '%pre')}`,
        `%posttrans\n${log('el-lua', '%posttrans')}`,
      ].join('\n'),
      files: '/usr/share/el/lua',
    }),
  },
  {
    // A %pretrans <lua> as EL's `filesystem` has one: before any package of the transaction is
    // installed (no rpm, no shell in the image yet), it checks paths with posix.stat and lays out
    // directories and a symlinked directory that its own files then land through, as /bin -> usr/bin.
    id: 'el-fs-lua',
    spec: spec('el-fs-lua', {
      install:
        "mkdir -p %{buildroot}/el-merged && printf 'merged\\n' > %{buildroot}/el-merged/data && printf 'fs\\n' > %{buildroot}/usr/share/el/fs-lua",
      body: [
        '%pretrans -p <lua>',
        'local seen = {}',
        'for _, p in ipairs({ "/", "/usr", "/el-merged", "/bin/sh", "/var/lib/rpm" }) do',
        '  seen[#seen + 1] = p .. "=" .. tostring(posix.stat(p, "type"))',
        'end',
        'if posix.stat("/usr", "type") ~= "directory" then posix.mkdir("/usr") end',
        'posix.mkdir("/usr/el-merged")',
        'posix.symlink("usr/el-merged", "/el-merged")',
        'local f = assert(io.open("/el-fs-lua.out", "w"))',
        'f:write(arg[1], " ", math.type(arg[2]), " ", arg[2], " cwd=", posix.getcwd(), " ", table.concat(seen, " "), "\\n")',
        'f:close()',
      ].join('\n'),
      files: '/el-merged/data\n/usr/share/el/fs-lua',
    }),
  },
  {
    // A <lua> file trigger: rpm hands it the matching paths through rpm.next_file().
    id: 'el-lua-filetrigger',
    spec: spec('el-lua-filetrigger', {
      requires: 'Requires: el-data-early',
      install: "printf 'luaft\\n' > %{buildroot}/usr/share/el/lua-filetrigger",
      body: [
        '%filetriggerin -p <lua> -- /usr/share/el-data',
        'local f = assert(io.open("/el-lua-filetrigger.out", "a"))',
        'local paths = {}',
        'local path = rpm.next_file()',
        'while path do paths[#paths + 1] = path path = rpm.next_file() end',
        'table.sort(paths)',
        'f:write("filetriggerin ", tostring(arg[2]), ": ", table.concat(paths, " "), "\\n")',
        'f:close()',
      ].join('\n'),
      files: '/usr/share/el/lua-filetrigger',
    }),
  },
  {
    // %config(noreplace) and %ghost files (a ghost file and a ghost directory: owned, not created).
    id: 'el-config',
    spec: spec('el-config', {
      requires: SHELL,
      install:
        "mkdir -p %{buildroot}/etc/el %{buildroot}/var/log %{buildroot}/run/el && printf 'setting=1\\n' > %{buildroot}/etc/el/el.conf && touch %{buildroot}/var/log/el.log",
      body: `%post\n${log('el-config', '%post')}\n`,
      files:
        '%dir /etc/el\n%config(noreplace) %attr(0640, root, root) /etc/el/el.conf\n%ghost %attr(0600, root, root) /var/log/el.log\n%ghost %dir /run/el',
    }),
  },
  ...['a', 'b'].map((x) => ({
    // Identical files, an identical symlink and a shared directory: rpm installs both.
    id: `el-same-${x}`,
    spec: spec(`el-same-${x}`, {
      install:
        "mkdir -p %{buildroot}/usr/share/el/shared && printf 'same\\n' > %{buildroot}/usr/share/el/shared/same && ln -s same %{buildroot}/usr/share/el/shared/link && " +
        `printf '${x}\\n' > %{buildroot}/usr/share/el/shared/only-${x}`,
      files: `%dir /usr/share/el/shared\n%attr(0644, root, root) /usr/share/el/shared/same\n/usr/share/el/shared/link\n/usr/share/el/shared/only-${x}`,
    }),
  })),
  ...['a', 'b'].map((x) => ({
    // The same path with different contents: rpm (and dnf) refuse the transaction.
    id: `el-conflict-${x}`,
    spec: spec(`el-conflict-${x}`, {
      install: `printf '${x}\\n' > %{buildroot}/usr/share/el/conflict`,
      files: '/usr/share/el/conflict',
    }),
  })),
  {
    // A %pre that fails: rpm does not install the package.
    id: 'el-pre-fail',
    spec: spec('el-pre-fail', {
      requires: SHELL,
      install: "printf 'never\\n' > %{buildroot}/usr/share/el/pre-fail",
      body: `%pre\n${log('el-pre-fail', '%pre')}\necho "el-pre-fail: refusing to install" >&2\nexit 7\n`,
      files: '/usr/share/el/pre-fail',
    }),
  },
];

/** What the tests install to see every scriptlet kind at work (a transaction dnf accepts). */
export const EL_SYSTEM_REQUEST = [
  'el-trigger-target',
  'el-trigger-late',
  'el-data',
  'el-lua',
  'el-fs-lua',
  'el-lua-filetrigger',
  'el-config',
  'el-same-a',
  'el-same-b',
];
