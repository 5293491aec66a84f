// For scripts/build.mjs: node train-code-cache.mjs BUNDLE ARGS… runs ARGS
// through the bundle and adds what V8 compiled to its code cache at exit.
import { resolve } from "node:path";
import { trainCodeCache } from "@exacast/core/launch";

const [bundle, ...argv] = process.argv.slice(2);
trainCodeCache(resolve(bundle), argv);
