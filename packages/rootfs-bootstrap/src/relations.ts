import { ControlSyntaxError } from './errors.js';

/** Version relation operators of Debian control fields. */
export type RelationOperator = '<<' | '<=' | '=' | '>=' | '>>';

/** One alternative of a dependency: `name[:arch] [(op version)]`. */
export interface Relation {
  name: string;
  /** Architecture qualifier: `any`, `native` or an architecture name. */
  archQualifier?: string;
  operator?: RelationOperator;
  version?: string;
}

/** A relation field: a list of or-groups; each group is satisfied by any one of its alternatives. */
export type RelationField = Relation[][];

const RELATION_RE =
  /^([a-z0-9][a-z0-9+.-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([0-9A-Za-z][^\s)]*)\s*\))?\s*(?:\[[^\]]*\])?\s*(?:<[^>]*>\s*)*$/i;

/** Parses `Depends`-style fields: `a (>= 1) | b:any, c`. Architecture lists and build profiles are dropped. */
export function parseRelations(field: string | undefined, origin = 'relation field'): RelationField {
  if (field === undefined) return [];
  const text = field.replace(/\s+/g, ' ').trim();
  if (text === '') return [];
  return text.split(',').flatMap((group) => {
    if (group.trim() === '') return []; // tolerated trailing comma
    return [group.split('|').map((alt) => parseRelation(alt.trim(), origin))];
  });
}

function parseRelation(text: string, origin: string): Relation {
  const m = RELATION_RE.exec(text);
  if (!m) throw new ControlSyntaxError(`${origin}: cannot parse relation ${JSON.stringify(text)}`, { value: text });
  const relation: Relation = { name: m[1]!.toLowerCase() };
  if (m[2] !== undefined) relation.archQualifier = m[2].toLowerCase();
  if (m[3] !== undefined && m[4] !== undefined) {
    // `<` and `>` are obsolete spellings of `<=` and `>=` (policy 7.1).
    relation.operator = m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : (m[3] as RelationOperator);
    relation.version = m[4];
  }
  return relation;
}

/** Formats a relation back to control-file syntax. */
export function formatRelation(relation: Relation): string {
  const arch = relation.archQualifier ? `:${relation.archQualifier}` : '';
  const version = relation.operator ? ` (${relation.operator} ${relation.version})` : '';
  return `${relation.name}${arch}${version}`;
}

/** Whether `cmp` (the result of comparing a candidate version with the relation's) satisfies `op`. */
export function operatorAccepts(op: RelationOperator, cmp: number): boolean {
  switch (op) {
    case '<<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '=':
      return cmp === 0;
    case '>=':
      return cmp >= 0;
    case '>>':
      return cmp > 0;
  }
}
