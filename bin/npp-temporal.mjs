#!/usr/bin/env node
// The package's command: the TypeScript sources run by Node's type stripping (Node 22.19+).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  console.error(`npp-temporal needs Node 22.19 or newer (this is ${process.version}); try: sh scripts/with-node.sh npx npp-temporal …`);
  process.exit(1);
}
// Installed as a dependency, the compiled package (npm run build): Node strips no types under node_modules.
const installed = import.meta.url.includes('/node_modules/');
const { runCli } = await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
});
