import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('workflow patches', () => {
  it('are only ever taken through the registry: no patched( or deprecatePatch( elsewhere in src', () => {
    const offenders = sourceFiles(SRC)
      .filter((file) => !file.endsWith(join('workflows', 'patches.ts')))
      .filter((file) => /\b(patched|deprecatePatch)\(/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });
});
