import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import packageJson from '../../package.json' with { type: 'json' };

/** Recorded histories, one folder per release: `<version>/<name>.json` (docs/workflow-changes.md). */
export const HISTORIES = new URL('../fixtures/histories/', import.meta.url);

type History = proto.temporal.api.history.v1.History;

/** Every recorded history whose name starts with `prefix`, of every release, as `<version>/<name>.json`. */
export function recordedHistories(prefix: string): { file: string; history: History }[] {
  const found: { file: string; history: History }[] = [];
  for (const version of readdirSync(HISTORIES, { withFileTypes: true })) {
    if (!version.isDirectory()) continue;
    for (const name of readdirSync(new URL(`${version.name}/`, HISTORIES))) {
      if (!name.startsWith(prefix) || !name.endsWith('.json')) continue;
      const file = `${version.name}/${name}`;
      const json = JSON.parse(readFileSync(new URL(file, HISTORIES), 'utf8'));
      found.push({ file, history: proto.temporal.api.history.v1.History.fromObject(json) });
    }
  }
  return found;
}

/**
 * With NPP_RECORD_HISTORY=1, keeps `history` as `<version>/<name>.json` for the version in
 * development (package.json). Released versions' folders are never written: the version moves on
 * at each release.
 */
export function recordHistoryIfAsked(name: string, history: unknown): void {
  if (process.env.NPP_RECORD_HISTORY !== '1') return;
  const folder = new URL(`${packageJson.version}/`, HISTORIES);
  mkdirSync(folder, { recursive: true });
  writeFileSync(new URL(`${name}.json`, folder), JSON.stringify(history));
}
