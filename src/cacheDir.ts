// The one local cache of npp-temporal: the Temporal CLI, the dev server's database, the dev codec
// key and the dev recordings archive. scripts/with-node.sh resolves the same directory.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** NPP_TEMPORAL_CACHE, else `npp-temporal` under XDG_CACHE_HOME or ~/.cache; empty values count as unset, as in the shell. */
export function cacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.NPP_TEMPORAL_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'npp-temporal');
}
