export interface OrdinaryUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Command prefix that runs a program as this user (empty when the tests already run as it). */
  prefix: string[];
}
export declare const ORDINARY_USER: string;
/** An ordinary user with a subordinate id range: created once when the tests run as root, else the caller. */
export declare function ordinaryUser(): Promise<OrdinaryUser>;
/** setpriv's prefix that runs a program as `user`. */
export declare function asUser(user: { uid: number; gid: number }): string[];
