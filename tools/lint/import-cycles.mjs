#!/usr/bin/env node
// Finds import cycles between the TypeScript files of a package's src/ (relative imports only:
// packages depend on each other through their public exports, which cannot form a file cycle).
// Usage: node tools/lint/import-cycles.mjs PACKAGE_DIR...   Exit 1 and one line per cycle if any.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Every .ts file under dir. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The relative imports of a file, resolved to .ts paths; type-only imports count (a cycle of types is still a knot to untie). */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const found = [];
  for (const match of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g,
  )) {
    const spec = match[1] ?? match[2];
    found.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Tarjan's strongly connected components: every component of more than one file (or a self-import) is a cycle. */
function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (node) => {
    info.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!info.has(next)) {
        visit(next);
        info.get(node).low = Math.min(info.get(node).low, info.get(next).low);
      } else if (info.get(next).onStack) info.get(node).low = Math.min(info.get(node).low, info.get(next).index);
    }
    if (info.get(node).low === info.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        info.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!info.has(node)) visit(node);
  return found;
}

let failed = false;
for (const pkg of process.argv.slice(2)) {
  const src = resolve(pkg, 'src');
  const graph = new Map(sources(src).map((file) => [file, importsOf(file)]));
  for (const component of cycles(graph)) {
    failed = true;
    console.error(
      `import cycle in ${relative(process.cwd(), pkg) || '.'}: ${component.map((f) => relative(src, f)).join(' <-> ')}`,
    );
  }
}
process.exitCode = failed ? 1 : 0;
