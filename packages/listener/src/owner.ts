// A template's `user` and `group` (consul-template's): the owner the installed
// file is given. Names are looked up once, when the config is loaded (start,
// SIGHUP), through `getent`, so users from LDAP or systemd-userdb work as they
// do for chown(1); an unknown name refuses the config. Numbers are taken as
// they are. Pure: the lookup is given (setup.ts runs getent).

import type { Result } from "@exacast/core";
import { err, ok } from "@exacast/core";

export interface FileOwner {
  /** -1: left as it is. */
  readonly uid: number;
  readonly gid: number;
}

/** `getent passwd NAME` / `getent group NAME` → the id, or undefined when unknown. */
export type IdLookup = (db: "passwd" | "group", name: string) => Promise<number | undefined>;

const NUMERIC = /^\d{1,10}$/;
export const OWNER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$|^\d{1,10}$/;

/** undefined when neither is set (the replaced file's owner is kept). */
export async function resolveOwner(user: string | undefined, group: string | undefined, lookup: IdLookup, where: string): Promise<Result<FileOwner | undefined, string[]>> {
  if (user === undefined && group === undefined) return ok(undefined);
  const problems: string[] = [];
  const id = async (db: "passwd" | "group", name: string | undefined, key: string): Promise<number> => {
    if (name === undefined) return -1;
    if (NUMERIC.test(name)) return Number(name);
    const found = await lookup(db, name);
    if (found === undefined) problems.push(`${where}.${key}: no ${db === "passwd" ? "user" : "group"} named ${JSON.stringify(name)} on this host`);
    return found ?? -1;
  };
  const uid = await id("passwd", user, "user");
  const gid = await id("group", group, "group");
  return problems.length > 0 ? err(problems) : ok({ uid, gid });
}
