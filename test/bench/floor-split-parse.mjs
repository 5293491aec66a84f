// The ingest floor: a bare program (no project code) that reads stdin, splits
// it into lines and JSON.parses each one — what any consumer of ExaBGP's JSON
// pays at least. The benchmark times it from its start to its exit.
let rest = "";
let parsed = 0;
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  const text = rest + chunk;
  let start = 0;
  for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
    if (nl > start && JSON.parse(text.slice(start, nl)) !== undefined) parsed++;
    start = nl + 1;
  }
  rest = text.slice(start);
});
process.stdin.on("end", () => {
  if (rest.length > 0 && JSON.parse(rest) !== undefined) parsed++;
  process.stderr.write(`${parsed}\n`);
});
