// Route attributes and chosen neighbors, ExaBGP 4.2 (API v4): see attributes-suite.ts.
import { attributesSuite } from "./attributes-suite.js";

await attributesSuite("4.2");
