/** The EL-system packages of the rpm test repository: rpmbuild work-folder id and spec text. */
export declare const EL_SYSTEM_PACKAGES: { id: string; spec: string }[];
/** What the tests install to see every scriptlet kind at work (a transaction dnf accepts). */
export declare const EL_SYSTEM_REQUEST: string[];
