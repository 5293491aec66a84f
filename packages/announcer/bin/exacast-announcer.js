#!/usr/bin/env node
// Launcher committed with its exec bit, so npm links a working bin before the
// first build. It runs the single-file bundle `npm run build` makes (with V8's
// code cache: start-up close to bare node), else the compiled modules. It is
// CommonJS (bin/package.json): an ES module entry costs a few ms more.
"use strict";
const program = "exacast-announcer";
let launcher;
try {
  launcher = require("@exacast/core/launch");
} catch (e) {
  process.stderr.write(`${program}: cannot load its compiled code (${e && e.message}); run: npm run build\n`);
  process.exit(2);
}
launcher.launch(program, `${__dirname}/../dist/${program}.cjs`, () => import("../dist/main.js"), process.argv.slice(2));
