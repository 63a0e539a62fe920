// The README is the newcomer's contract: two set-up commands, and every environment variable the
// code reads is documented in its configuration table.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const README = await readFile('README.md', 'utf8');

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('README.md', () => {
  it('has exactly the two quick-start commands, and both are the package scripts', async () => {
    const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]?.trim());
    expect(blocks).toEqual(['npm ci && npm start', 'npm ci && npm test']);
    const scripts = JSON.parse(await readFile('package.json', 'utf8')).scripts as Record<string, string>;
    expect(scripts.start).toContain('src/main.ts');
    expect(scripts.test).toContain('vitest run');
    expect(await readFile('.ci/run', 'utf8')).toMatch(/^npm test/m);
  });

  it('documents every environment variable the code reads', async () => {
    const read = new Set<string>();
    for (const file of await sourceFiles('src')) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/env(?:\.|\[['"])([A-Z][A-Z0-9_]+)/g)) read.add(match[1] as string);
    }
    // Process plumbing, not configuration.
    for (const name of ['PATH', 'XDG_CACHE_HOME']) read.delete(name);
    const documented = new Set([...README.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]));
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !documented.has(name))).toEqual([]);
  });

  it('links only to docs that exist', async () => {
    for (const [, target] of README.matchAll(/\]\(((?:docs|deploy)\/[^)]+)\)/g)) {
      await expect(readFile(target as string, 'utf8')).resolves.toBeTruthy();
    }
  });
});
