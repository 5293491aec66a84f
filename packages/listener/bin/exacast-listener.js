#!/usr/bin/env node
// Launcher committed with its exec bit, so npm links a working bin before the
// first build; the program itself is compiled into dist/.
import("../dist/main.js").then(
  (m) => m.main(process.argv.slice(2)),
  (e) => {
    process.stderr.write(`exacast-listener: cannot load dist/main.js (${e && e.message}); run: npm run build\n`);
    process.exit(2);
  },
);
