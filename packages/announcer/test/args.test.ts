// The announcer's command line through the shared parser: the same flags,
// words and problems as the listener's.

import { describe, expect, it } from "vitest";
import { parseCommand } from "../src/args.js";

describe("announcer command line", () => {
  it("run, check, help, version", () => {
    expect(parseCommand(["--config", "a.yaml"])).toEqual({ ok: true, value: { kind: "run", config: "a.yaml", overrides: { log_format: undefined, log_level: undefined } } });
    expect(parseCommand(["check", "--config", "a.yaml", "--log-format", "json", "--log-level", "debug"])).toEqual({
      ok: true,
      value: { kind: "check", config: "a.yaml", overrides: { log_format: "json", log_level: "debug" } },
    });
    expect(parseCommand(["-h"])).toEqual({ ok: true, value: { kind: "help" } });
    expect(parseCommand(["--version"])).toEqual({ ok: true, value: { kind: "version" } });
  });

  it("each problem names the flag or the argument", () => {
    expect(parseCommand([])).toEqual({ ok: false, error: ["--config FILE is required", "try --help"] });
    expect(parseCommand(["status", "--config", "a"])).toEqual({ ok: false, error: ['unexpected argument "status"', "try --help"] });
    expect(parseCommand(["--config", "a", "--log-level", "loud"])).toEqual({ ok: false, error: ['--log-level: expected debug, info, warn or error, got "loud"'] });
    expect(parseCommand(["--nope"])).toMatchObject({ ok: false, error: [expect.stringContaining("--nope"), "try --help"] });
  });
});
