#!/usr/bin/env node
// Lists the public API of a package — every name its src/index.ts exports, with its kind and its
// shape (function signatures, class members, interface and type members) — as sorted text lines,
// so a test can pin it and a change of the public API shows as a diff in review.
// Usage: node tools/lint/public-api.mjs PACKAGE_DIR   (prints the listing)
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

/** The listing of `packageDir`'s public API, one line per export (members indented below it). */
export function publicApi(packageDir) {
  const index = resolve(packageDir, 'src', 'index.ts');
  const config = ts.readConfigFile(resolve(packageDir, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, resolve(packageDir));
  const program = ts.createProgram([index], { ...parsed.options, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(index);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) return '';
  const flags = ts.TypeFormatFlags.NoTruncation;
  const lines = [];
  for (const exported of checker.getExportsOfModule(module)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = exported.getName();
    const declaration = symbol.declarations?.[0];
    const kinds = [];
    if (symbol.flags & ts.SymbolFlags.Class) kinds.push('class');
    else if (symbol.flags & ts.SymbolFlags.Function) kinds.push('function');
    else if (symbol.flags & ts.SymbolFlags.Variable) kinds.push('const');
    if (symbol.flags & ts.SymbolFlags.Interface) kinds.push('interface');
    if (symbol.flags & ts.SymbolFlags.TypeAlias) kinds.push('type');
    if (symbol.flags & ts.SymbolFlags.Enum) kinds.push('enum');
    const kind = kinds.join('+') || 'other';
    if (symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Variable) && declaration) {
      const type = checker.getTypeOfSymbolAtLocation(symbol, declaration);
      const signatures = type.getCallSignatures();
      if (symbol.flags & ts.SymbolFlags.Function)
        for (const signature of signatures)
          lines.push(`${kind} ${name}${clean(checker.signatureToString(signature, undefined, flags))}`);
      else lines.push(`${kind} ${name}: ${clean(checker.typeToString(type, undefined, flags))}`);
      if (symbol.flags & ts.SymbolFlags.Function && signatures.length === 0) lines.push(`${kind} ${name}`);
    } else if (symbol.flags & ts.SymbolFlags.Class && declaration) {
      lines.push(`${kind} ${name}`);
      const instance = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(instance)) {
        if (member.getName().startsWith('#')) continue;
        const modifiers = ts.getCombinedModifierFlags(
          member.valueDeclaration ?? member.declarations?.[0] ?? declaration,
        );
        if (modifiers & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
        lines.push(
          `  ${name}.${memberName(member)}: ${clean(checker.typeToString(checker.getTypeOfSymbolAtLocation(member, declaration), undefined, flags))}`,
        );
      }
    } else if (symbol.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias) && declaration) {
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      // Members of object types only: a union of string literals would list String's methods.
      const objectLike = (t) =>
        (t.flags & ts.TypeFlags.Object) !== 0 || (t.isIntersection() && t.types.every(objectLike));
      const members = objectLike(type) ? checker.getPropertiesOfType(type) : [];
      if (symbol.flags & ts.SymbolFlags.Interface || members.length > 0) {
        lines.push(`${kind} ${name}`);
        for (const member of members) {
          const optional = member.flags & ts.SymbolFlags.Optional ? '?' : '';
          lines.push(
            `  ${name}.${memberName(member)}${optional}: ${clean(checker.typeToString(checker.getTypeOfSymbolAtLocation(member, declaration), undefined, flags))}`,
          );
        }
      } else lines.push(`${kind} ${name} = ${clean(checker.typeToString(type, undefined, flags))}`);
    } else lines.push(`${kind} ${name}`);
  }
  // Exports in name order; each export's own lines keep their order.
  const blocks = [];
  for (const line of lines) {
    if (line.startsWith('  ') && blocks.length) blocks[blocks.length - 1].push(line);
    else blocks.push([line]);
  }
  blocks.sort((a, b) =>
    exportName(a[0]) < exportName(b[0]) ? -1 : exportName(a[0]) > exportName(b[0]) ? 1 : a[0] < b[0] ? -1 : 1,
  );
  return `${blocks.flat().join('\n')}\n`;
}

/** A member's name; a well-known symbol's (`__@asyncDispose@2124`, numbered per program) as `[Symbol.asyncDispose]`. */
function memberName(member) {
  const name = member.getName();
  const symbol = /^__@(\w+)@\d+$/.exec(name);
  return symbol ? `[Symbol.${symbol[1]}]` : name;
}

function exportName(line) {
  return line.split(' ')[1]?.replace(/[(:<=].*$/, '') ?? '';
}

/** One line per entry; absolute import paths of this machine out of the text. */
function clean(text) {
  // A type from another module prints as import("/abs/path", ...).Name: the name is what matters.
  return text.replace(/\s+/g, ' ').replace(/import\("[^"]*"(?:, \{[^}]*\}\s*\})?\)\./g, '');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.stdout.write(publicApi(join(process.cwd(), process.argv[2] ?? '.')));
