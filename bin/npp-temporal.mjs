#!/usr/bin/env node
// The package's command: the TypeScript sources run by Node's type stripping (Node 22.19+).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  // An older node on PATH (the machines ship Node 20): run again on the project's own Node 24, which
  // scripts/with-node.sh finds in its cache or installs, as every npm script does.
  const withNode = fileURLToPath(new URL('../scripts/with-node.sh', import.meta.url));
  if (existsSync(withNode) && !process.env.NPP_TEMPORAL_REEXEC) {
    const again = spawnSync('sh', [withNode, 'node', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, NPP_TEMPORAL_REEXEC: '1' },
    });
    process.exit(again.status ?? 1);
  }
  console.error(`npp-temporal needs Node 22.19 or newer (this is ${process.version}); try: npm run cli -- …`);
  process.exit(1);
}
// Installed as a dependency, the compiled package (npm run build): Node strips no types under node_modules.
const installed = import.meta.url.includes('/node_modules/');
const { runCli } = await import(installed ? '../dist/cli/main.js' : '../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
});
