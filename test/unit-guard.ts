// Set up before every unit test file: the unit project is pure, so opening a
// socket, starting a process or writing a file fails the test at once with a
// message saying where such a test belongs. Reads cannot be refused (the test
// runner loads modules with them); fixtures come in as `?raw` imports.

import child_process from "node:child_process";
import dgram from "node:dgram";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

const refuse = (what: string) => () => {
  throw new Error(`unit tests are pure: ${what} is not allowed here; such a test belongs in the integration project (test/integration/)`);
};

net.Socket.prototype.connect = refuse("a socket") as never;
net.Server.prototype.listen = refuse("a listening socket") as never;
dgram.Socket.prototype.bind = refuse("a UDP socket") as never;
dgram.Socket.prototype.send = refuse("a UDP socket") as never;
(child_process.ChildProcess.prototype as unknown as Record<string, unknown>).spawn = refuse("a process");
for (const name of ["spawnSync", "execSync", "execFileSync"] as const) (child_process as Record<string, unknown>)[name] = refuse("a process");
const promises = fs.promises as unknown as Record<string, unknown>;
for (const name of ["writeFile", "appendFile", "rename", "unlink", "mkdir", "mkdtemp", "rm", "copyFile"]) promises[name] = refuse(`a file (fs.promises.${name})`);
// open() for reading stays; for writing it is refused.
const WRITE = fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT;
const open = fs.promises.open;
promises.open = (path: string, flags: string | number = "r", ...rest: unknown[]) => {
  if (typeof flags === "number" ? (flags & WRITE) !== 0 : /[wa+]/.test(flags)) refuse(`a file written (fs.promises.open ${path})`)();
  return (open as (...a: unknown[]) => unknown)(path, flags, ...rest);
};
const sync = fs as unknown as Record<string, unknown>;
for (const name of ["writeFileSync", "appendFileSync", "renameSync", "unlinkSync", "mkdirSync", "mkdtempSync", "rmSync", "openSync"]) sync[name] = refuse(`a file (fs.${name})`);
syncBuiltinESMExports();
