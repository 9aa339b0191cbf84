import type { HeaderTags } from './parse-header.js';
import { Tag } from './tags.js';
import type { RpmScriptlet, RpmScriptletName } from './types.js';

const scriptletTags: Array<[RpmScriptletName, number, number]> = [
  ['pretrans', Tag.PreTrans, Tag.PreTransProg],
  ['prein', Tag.PreIn, Tag.PreInProg],
  ['postin', Tag.PostIn, Tag.PostInProg],
  ['preun', Tag.PreUn, Tag.PreUnProg],
  ['postun', Tag.PostUn, Tag.PostUnProg],
  ['posttrans', Tag.PostTrans, Tag.PostTransProg],
  ['preuntrans', Tag.PreUnTrans, Tag.PreUnTransProg],
  ['postuntrans', Tag.PostUnTrans, Tag.PostUnTransProg],
  ['verify', Tag.VerifyScript, Tag.VerifyScriptProg],
];

/** The scriptlets a package carries; a scriptlet without a recorded interpreter runs with /bin/sh. */
export function readScriptlets(tags: HeaderTags): Partial<Record<RpmScriptletName, RpmScriptlet>> {
  const scripts: Partial<Record<RpmScriptletName, RpmScriptlet>> = {};
  for (const [name, bodyTag, progTag] of scriptletTags) {
    const body = tags.string(bodyTag);
    const interpreter = tags.strings(progTag);
    if (body === undefined && interpreter === undefined) continue;
    scripts[name] = { interpreter: interpreter ?? ['/bin/sh'], body };
  }
  return scripts;
}
