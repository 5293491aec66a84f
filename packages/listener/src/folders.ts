// Missing destination folders are created before a file is written, as
// consul-template does by default (create_dest_dirs): a template pointed at
// /etc/haproxy/conf.d/ on a host where that folder does not exist yet works
// the first time. A wrapper around the file store, so the writer itself and
// the tests' store in memory stay as they are; a folder that cannot be made
// shows up as the write's own failure.

import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { FileStore } from "@exacast/runtime";

export function creatingFolders(files: FileStore, created: (folder: string) => void): FileStore {
  return {
    readIfExists: (path) => files.readIfExists(path),
    removeFile: (path) => files.removeFile(path),
    replaceFile: async (destination, text, opts) => {
      const first = await mkdir(dirname(destination), { recursive: true, mode: 0o755 }).catch(() => undefined);
      if (first !== undefined) created(first);
      return files.replaceFile(destination, text, opts);
    },
  };
}
