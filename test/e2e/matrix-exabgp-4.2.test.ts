// The compatibility matrix, ExaBGP 4.2 row: see matrix-suite.ts.
import { matrixSuite } from "./matrix-suite.js";

await matrixSuite("4.2", ["gobgp", "frr-rs", "bird-rs", "frr-tor"]);
