/**
 * Matches mksquashfs `-wildcards` exclude patterns (relative to the source root; `*`, `?` and
 * `[...]` match inside one path component) against a root-relative path or any of its ancestors,
 * so manifest entries under an excluded directory are dropped along with it.
 */
export function excludeMatcher(patterns: readonly string[]): (path: string) => boolean {
  const compiled = patterns.map((p) =>
    p
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .filter(Boolean)
      .map(componentRegex),
  );
  return (path) => {
    const parts = path.split('/').filter(Boolean);
    return compiled.some(
      (pattern) =>
        pattern.length > 0 && pattern.length <= parts.length && pattern.every((re, i) => re.test(parts[i] ?? '')),
    );
  };
}

function componentRegex(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'u');
}
