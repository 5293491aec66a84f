// The compatibility matrix, ExaBGP 5.0 row: see matrix-suite.ts.
import { matrixSuite } from "./matrix-suite.js";

await matrixSuite("5.0", ["gobgp", "frr-rs", "bird-rs", "frr-tor"]);
