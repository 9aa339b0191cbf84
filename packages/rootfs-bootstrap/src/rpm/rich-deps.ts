import { ControlSyntaxError } from '../errors.js';
import type { RpmOperator } from './version.js';

/**
 * An rpm dependency: a plain capability (`name [op evr]`) or a rich/boolean one (rpm >= 4.13):
 * `(a and b)`, `(a or b)`, `(a with b)`, `(a without b)`, `(a if b [else c])`, `(a unless b [else c])`.
 */
export type RpmDep =
  | { kind: 'cap'; name: string; operator?: RpmOperator; evr?: string }
  | { kind: 'and' | 'or' | 'with' | 'without'; args: RpmDep[] }
  | { kind: 'if' | 'unless'; then: RpmDep; condition: RpmDep; otherwise?: RpmDep };

const OPERATORS: Record<string, RpmOperator> = {
  '<': '<',
  '<=': '<=',
  '=<': '<=',
  '=': '=',
  '==': '=',
  '>=': '>=',
  '=>': '>=',
  '>': '>',
};
const BOOLEAN = new Set(['and', 'or', 'with', 'without', 'if', 'unless', 'else']);

/** A plain capability from a header's name/comparison/version triple. */
export function capability(name: string, comparison: string, version: string): RpmDep {
  const operator = OPERATORS[comparison];
  return operator && version ? { kind: 'cap', name, operator, evr: version } : { kind: 'cap', name };
}

/** Parses a dependency name that may be rich (starts with `(`); `comparison`/`version` apply to plain ones. */
export function parseRpmDep(name: string, comparison = '', version = ''): RpmDep {
  if (!name.startsWith('(')) return capability(name, comparison, version);
  const tokens = name.match(/\(|\)|[^\s()]+/g) ?? [];
  let at = 0;
  const fail = (why: string): never => {
    throw new ControlSyntaxError(`rich dependency ${JSON.stringify(name)}: ${why}`, { value: name });
  };
  const term = (): RpmDep => {
    const token = tokens[at++];
    if (token === undefined) return fail('ends early');
    if (token === '(') return group();
    if (token === ')' || BOOLEAN.has(token)) return fail(`unexpected ${token}`);
    const operator = OPERATORS[tokens[at] ?? ''];
    if (operator) {
      const evr = tokens[at + 1];
      if (evr === undefined || evr === ')' || evr === '(') return fail(`${token} ${tokens[at]} lacks a version`);
      at += 2;
      return { kind: 'cap', name: token, operator, evr };
    }
    return { kind: 'cap', name: token };
  };
  const group = (): RpmDep => {
    const first = term();
    const op = tokens[at++];
    if (op === ')') return first; // `((a))` or a bare `(a)`
    if (op === 'if' || op === 'unless') {
      const condition = term();
      const next = tokens[at++];
      if (next === ')') return { kind: op, then: first, condition };
      if (next !== 'else') return fail(`expected else or ) after ${op}, got ${next}`);
      const otherwise = term();
      if (tokens[at++] !== ')') return fail('expected )');
      return { kind: op, then: first, condition, otherwise };
    }
    if (op !== 'and' && op !== 'or' && op !== 'with' && op !== 'without') return fail(`unknown operator ${op}`);
    const args = [first, term()];
    for (let next = tokens[at++]; next !== ')'; next = tokens[at++]) {
      // rpm allows chaining only the same operator: `(a or b or c)`; `without` takes two terms.
      if (next !== op || op === 'without') return fail(`cannot mix ${op} with ${next ?? 'the end'}`);
      args.push(term());
    }
    return { kind: op, args };
  };
  at = 1;
  const dep = group();
  if (at !== tokens.length) fail('trailing text');
  return dep;
}

/** Formats a dependency back to rpm syntax. */
export function formatRpmDep(dep: RpmDep): string {
  switch (dep.kind) {
    case 'cap':
      return dep.operator ? `${dep.name} ${dep.operator} ${dep.evr}` : dep.name;
    case 'if':
    case 'unless':
      return `(${formatRpmDep(dep.then)} ${dep.kind} ${formatRpmDep(dep.condition)}${dep.otherwise ? ` else ${formatRpmDep(dep.otherwise)}` : ''})`;
    default:
      return `(${dep.args.map(formatRpmDep).join(` ${dep.kind} `)})`;
  }
}
