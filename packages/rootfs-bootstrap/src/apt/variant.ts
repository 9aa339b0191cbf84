import type { PackageCandidate } from '../package-candidate.js';

/** Base package sets, as mmdebstrap and debootstrap define them. */
export const VARIANTS = ['extract', 'essential', 'apt', 'required', 'minbase', 'important', 'standard'] as const;
export type Variant = (typeof VARIANTS)[number];

const PRIORITIES: Record<Variant, readonly string[]> = {
  extract: [],
  essential: [],
  apt: [],
  required: ['required'],
  minbase: ['required'],
  important: ['required', 'important'],
  standard: ['required', 'important', 'standard'],
};

/**
 * The names a variant installs before the user's includes: `Essential: yes` packages, plus `apt`
 * for every variant above `essential` (libapt treats apt as essential), plus the priorities of the
 * variant. Like mmdebstrap, only the primary suite's metadata selects names (an `-updates` suite
 * may supply newer versions of them, not extra names).
 */
export function variantBaseNames(
  candidates: readonly PackageCandidate[],
  variant: Variant,
  primaryOrigin: string,
): string[] {
  if (variant === 'extract') return [];
  const priorities = PRIORITIES[variant];
  const names = new Set<string>();
  for (const c of candidates) {
    if (c.origin !== primaryOrigin) continue;
    if (c.essential || priorities.includes(c.priority)) names.add(c.name);
  }
  if (variant !== 'essential') names.add('apt');
  return [...names].sort();
}
