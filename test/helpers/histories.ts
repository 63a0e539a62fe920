import { writeFileSync } from 'node:fs';

export const HISTORIES = new URL('../fixtures/histories/', import.meta.url);

/**
 * With NPP_RECORD_HISTORY=1, keeps `history` as a new fixture `<name>-<date>.json`. It never
 * overwrites one: a committed history guards the code path it was recorded on, patched or not.
 */
export function recordHistoryIfAsked(name: string, history: unknown): void {
  if (process.env.NPP_RECORD_HISTORY !== '1') return;
  const file = new URL(`${name}-${new Date().toISOString().slice(0, 10)}.json`, HISTORIES);
  try {
    writeFileSync(file, JSON.stringify(history), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
