// The compatibility matrix, ExaBGP main (6.0 in development) row: see matrix-suite.ts.
import { matrixSuite } from "./matrix-suite.js";

// Not BIRD: ExaBGP main resets the session on BIRD's End-of-RIB (its bug, not ours).
await matrixSuite("main", ["gobgp", "frr-rs", "frr-tor"]);
// ExaBGP 6 told to keep the 4.x API (`exabgp.api.version=4`): text events, `announce route …`.
await matrixSuite("main", ["gobgp"], { env: { "exabgp.api.version": "4" }, label: "main (API v4)" });
