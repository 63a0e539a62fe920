// Archive settings from the environment. Archiving is on when NPP_ARCHIVE_DIR (a directory) or
// NPP_ARCHIVE_URL (an S3-compatible bucket) is set.
import type { ServerSideEncryption } from '@aws-sdk/client-s3';
import { DirectorySink } from './directorySink.ts';
import { S3Sink, type S3SinkOptions } from './s3Sink.ts';
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

/** The largest object S3 copies in one request; the S3 sink copies each object once to add its checksum. */
const MAX_S3_RECORDING_BYTES = 5 * 1024 * 1024 * 1024;

const SSE_MODES: readonly string[] = ['AES256', 'aws:kms', 'aws:kms:dsse'];

/**
 * The object-storage settings of NPP_ARCHIVE_URL (`s3://bucket[/prefix]`), NPP_ARCHIVE_SSE,
 * NPP_ARCHIVE_SSE_KMS_KEY_ID and NPP_ARCHIVE_S3_PATH_STYLE. Endpoint, region and credentials are
 * the SDK's: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and the rest.
 */
export function s3SinkOptionsFromEnv(archiveUrl: string, env: NodeJS.ProcessEnv): S3SinkOptions {
  let url: URL;
  try {
    url = new URL(archiveUrl);
  } catch {
    throw new Error('NPP_ARCHIVE_URL must look like s3://bucket or s3://bucket/prefix');
  }
  if (url.protocol !== 's3:' || !url.hostname || url.search || url.hash || url.username) {
    throw new Error('NPP_ARCHIVE_URL must look like s3://bucket or s3://bucket/prefix');
  }
  const sse = env.NPP_ARCHIVE_SSE?.trim();
  if (sse && !SSE_MODES.includes(sse)) {
    throw new Error(`NPP_ARCHIVE_SSE must be one of ${SSE_MODES.join(', ')}`);
  }
  const kmsKeyId = env.NPP_ARCHIVE_SSE_KMS_KEY_ID?.trim();
  if (kmsKeyId && !sse?.startsWith('aws:kms')) {
    throw new Error('NPP_ARCHIVE_SSE_KMS_KEY_ID needs NPP_ARCHIVE_SSE=aws:kms');
  }
  const pathStyle = env.NPP_ARCHIVE_S3_PATH_STYLE?.trim();
  if (pathStyle && pathStyle !== 'true' && pathStyle !== 'false') {
    throw new Error('NPP_ARCHIVE_S3_PATH_STYLE must be true or false');
  }
  return {
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, ''),
    ...(sse ? { serverSideEncryption: sse as ServerSideEncryption } : {}),
    ...(kmsKeyId ? { kmsKeyId } : {}),
    client: { forcePathStyle: pathStyle === 'true' },
  };
}

/**
 * NPP_ARCHIVE_URL or NPP_ARCHIVE_DIR (either enables archiving; the bucket wins when both are set,
 * so compose's default directory needs no unsetting), NPP_ARCHIVE_MAX_BYTES
 * (default 200 MiB), NPP_RECORDING_HOSTS (comma-separated hosts; `.example.com` allows subdomains).
 */
export function archiveConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiveConfig | undefined {
  const dir = env.NPP_ARCHIVE_DIR?.trim();
  const archiveUrl = env.NPP_ARCHIVE_URL?.trim();
  if (!dir && !archiveUrl) return undefined;
  const rawMax = env.NPP_ARCHIVE_MAX_BYTES?.trim();
  const maxBytes = rawMax ? Number(rawMax) : DEFAULT_MAX_RECORDING_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new Error('NPP_ARCHIVE_MAX_BYTES must be a positive whole number of bytes');
  }
  if (archiveUrl && maxBytes > MAX_S3_RECORDING_BYTES) {
    throw new Error('NPP_ARCHIVE_MAX_BYTES can be at most 5 GiB (5368709120) with NPP_ARCHIVE_URL');
  }
  const allowedHosts = env.NPP_RECORDING_HOSTS?.split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  const sink = archiveUrl ? new S3Sink(s3SinkOptionsFromEnv(archiveUrl, env)) : new DirectorySink(dir as string);
  return { sink, maxBytes, ...(allowedHosts?.length ? { allowedHosts } : {}) };
}
