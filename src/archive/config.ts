// Archive settings from the environment. Archiving is on when NPP_ARCHIVE_DIR is set.
import { DirectorySink } from './directorySink.ts';
import type { RecordingSink } from './sink.ts';

/** Larger than any plausible call recording; protects the disk from a misbehaving URL. */
export const DEFAULT_MAX_RECORDING_BYTES = 200 * 1024 * 1024;

export interface ArchiveConfig {
  sink: RecordingSink;
  /** Recordings larger than this are refused (RecordingTooLarge). */
  maxBytes: number;
  /** NPP_RECORDING_HOSTS: where recordings may be fetched from; anywhere when unset. */
  allowedHosts?: string[];
}

/**
 * NPP_ARCHIVE_DIR (enables archiving), NPP_ARCHIVE_MAX_BYTES (default 200 MiB), NPP_RECORDING_HOSTS
 * (comma-separated hosts; `.example.com` allows subdomains).
 */
export function archiveConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiveConfig | undefined {
  const dir = env.NPP_ARCHIVE_DIR?.trim();
  if (!dir) return undefined;
  const rawMax = env.NPP_ARCHIVE_MAX_BYTES?.trim();
  const maxBytes = rawMax ? Number(rawMax) : DEFAULT_MAX_RECORDING_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new Error('NPP_ARCHIVE_MAX_BYTES must be a positive whole number of bytes');
  }
  const allowedHosts = env.NPP_RECORDING_HOSTS?.split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  return { sink: new DirectorySink(dir), maxBytes, ...(allowedHosts?.length ? { allowedHosts } : {}) };
}
