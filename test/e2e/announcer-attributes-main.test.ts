// Route attributes and chosen neighbors, ExaBGP main (API v6, `peer …`): see attributes-suite.ts.
import { attributesSuite } from "./attributes-suite.js";

await attributesSuite("main");
