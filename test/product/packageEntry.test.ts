// The package as an app installs it: `npm run build` compiles src/ to dist/, and the package's
// "exports" entry (dist/client/index.js) is plain JavaScript that gives the app client.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEST_CODEC_KEYS } from '../helpers/temporal.ts';

const run = promisify(execFile);
const DIST = new URL('../../dist/', import.meta.url);
const ROOT = new URL('../../', import.meta.url).pathname;
const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
/** Only a dist/ this test made is removed afterwards: someone else's build stays. */
let createdDist = false;

/** Runs an ES module snippet with plain `node` in the repository, importing the package by its name. */
async function nodeSnippet(code: string, env: Record<string, string> = {}) {
  const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', code], {
    cwd: ROOT,
    env: { ...baseEnv, ...env },
    timeout: 30_000,
  });
  return stdout.trim();
}

beforeAll(async () => {
  createdDist = !existsSync(DIST);
  await run('npm', ['run', 'build'], { cwd: ROOT, env: baseEnv, timeout: 110_000 });
}, 120_000);

afterAll(async () => {
  if (createdDist) await rm(DIST, { recursive: true, force: true });
});

describe('the built package', () => {
  it('exports exactly connectApp, SessionClient and CallBackClient at run time', async () => {
    const exported = await nodeSnippet(`
      const app = await import('npp-temporal');
      console.log(JSON.stringify(Object.fromEntries(Object.entries(app).map(([name, value]) => [name, typeof value]))));
    `);
    expect(JSON.parse(exported)).toEqual({
      CallBackClient: 'function',
      SessionClient: 'function',
      connectApp: 'function',
    });
  });

  it('type-checks an app that imports the package by name against the built declarations', async () => {
    const app = await mkdtemp(join(tmpdir(), 'npp-package-app-'));
    try {
      await mkdir(join(app, 'node_modules'));
      await symlink(ROOT, join(app, 'node_modules', 'npp-temporal'));
      await writeFile(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
      const compilerOptions = {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      };
      await writeFile(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['app.ts'] }));
      // The expected error proves the definitions are real types, not `any`.
      await writeFile(
        join(app, 'app.ts'),
        [
          "import { type CallBackClient, connectApp, type SessionInput, type SessionState } from 'npp-temporal';",
          "const input: SessionInput = { sessionKey: 'k', mode: 'XB', dst: '008613800000000' };",
          'const connected = await connectApp();',
          'const state: SessionState = await connected.sessions.getSession(input.sessionKey);',
          'const callBacks: CallBackClient = connected.callBacks;',
          '// @ts-expect-error: AB is no session mode',
          "const wrong: SessionInput = { sessionKey: 'k', mode: 'AB', dst: '008613800000000' };",
          'console.log(state.status, callBacks, wrong);',
        ].join('\n'),
      );
      const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const checked = await run(process.execPath, [tsc, '-p', app], { env: baseEnv, timeout: 60_000 }).then(
        () => 'clean',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(checked).toBe('clean');
    } finally {
      await rm(app, { recursive: true, force: true });
    }
  });

  it('connects to Temporal and lists sessions from the compiled code', async () => {
    const answered = await nodeSnippet(
      `
      const { connectApp } = await import('npp-temporal');
      const app = await connectApp();
      const rows = await app.sessions.listSessions({ limit: 1 });
      await app.close();
      console.log(JSON.stringify({ listed: Array.isArray(rows), taskQueue: app.taskQueue }));
    `,
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: inject('temporalNamespace'),
        NPP_CODEC_KEYS: TEST_CODEC_KEYS,
        NPP_TASK_QUEUE: 'package-entry',
      },
    );
    expect(JSON.parse(answered)).toEqual({ listed: true, taskQueue: 'package-entry' });
  });
});

describe('the npp-temporal command', () => {
  it('runs under the machine’s own older node, as "npx npp-temporal" prints it, on the project’s Node', async () => {
    // The machines ship Node 20 at /usr/bin/node; the command re-runs itself on the cached Node 24.
    const systemNode = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
    const { stdout } = await run(systemNode, ['bin/npp-temporal.mjs', '--help'], {
      cwd: ROOT,
      env: { ...baseEnv, PATH: '/usr/bin:/bin' },
      timeout: 60_000,
    });
    expect(stdout).toMatch(/^npp-temporal — masked-call sessions/);
    expect(stdout).toContain('npp-temporal cdr');
  });
});
