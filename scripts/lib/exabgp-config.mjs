// Adapts a shipped exabgp/*.conf to a place: the lines marked CHANGE get this
// host's addresses and ASNs, the `run` lines this checkout's bins and configs,
// and the neighbor a `connect` port when the peer is not on 179. Every
// substitution must hit, so a shipped file that drifts breaks the demo and its
// test instead of being silently ignored.

function replaceOnce(text, pattern, replacement, what) {
  if (!pattern.test(text)) throw new Error(`exabgp config: no ${what} line to adapt (${pattern})`);
  return text.replace(pattern, replacement);
}

/**
 * @param {string} text a file from exabgp/
 * @param {{ neighbor: string, address: string, localAs: number, peerAs: number, connect?: number,
 *           run: Record<string, string> }} o  run: program name → command line replacing
 *           "/usr/local/bin/<program> --config <file>"
 */
export function adaptExabgpConfig(text, o) {
  let t = text;
  t = replaceOnce(t, /^neighbor \S+ \{/m, `neighbor ${o.neighbor} {`, "neighbor");
  t = replaceOnce(t, /^(\s*)router-id \S+;/m, `$1router-id ${o.address};`, "router-id");
  t = replaceOnce(t, /^(\s*)local-address \S+;/m, `$1local-address ${o.address};`, "local-address");
  t = replaceOnce(t, /^(\s*)local-as \d+;/m, `$1local-as ${o.localAs};`, "local-as");
  const connect = o.connect ? `\n$1connect ${o.connect};` : "";
  t = replaceOnce(t, /^(\s*)peer-as \d+;(.*)$/m, `$1peer-as ${o.peerAs};$2${connect}`, "peer-as");
  for (const [program, command] of Object.entries(o.run)) {
    t = replaceOnce(t, new RegExp(`run /usr/local/bin/${program} --config \\S+;`), `run ${command};`, `run ${program}`);
  }
  return t;
}
