// drain_file: while it exists every VIP is announced with 65535:0 (RFC 8326
// GRACEFUL_SHUTDOWN). Polled: a stat every 250 ms costs nothing and, unlike
// inotify, works for files on any file system and for folders created later.

import { access } from "node:fs/promises";

export const DRAIN_POLL_MS = 250;

export interface DrainWatch {
  /** Resolves once the file's presence is known (before the first check runs). */
  readonly ready: Promise<void>;
  stop(): void;
}

async function present(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export function watchDrainFile(path: string, onChange: (present: boolean) => void, intervalMs = DRAIN_POLL_MS): DrainWatch {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const poll = async () => {
    const p = await present(path);
    if (stopped) return;
    onChange(p);
    timer = setTimeout(() => void poll(), intervalMs);
    timer.unref();
  };
  return {
    ready: poll(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
