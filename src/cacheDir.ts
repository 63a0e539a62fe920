// The one local cache of npp-temporal: the Temporal CLI, the dev server's database, the dev codec
// key and the dev recordings archive. scripts/with-node.sh resolves the same directory.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** NPP_TEMPORAL_CACHE, else `npp-temporal` under XDG_CACHE_HOME or ~/.cache; empty values count as unset, as in the shell. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.NPP_TEMPORAL_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'npp-temporal');
}

/** Whether `path` is a file this process may execute (a cached binary that is really there). */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
