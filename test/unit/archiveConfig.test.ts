import { describe, expect, it } from 'vitest';
import { archiveConfigFromEnv, s3SinkOptionsFromEnv } from '../../src/archive/config.ts';
import { DirectorySink } from '../../src/archive/directorySink.ts';
import { S3Sink } from '../../src/archive/s3Sink.ts';

describe('archive configuration from the environment', () => {
  it('is off without NPP_ARCHIVE_DIR and NPP_ARCHIVE_URL', () => {
    expect(archiveConfigFromEnv({})).toBeUndefined();
  });

  it('picks the directory sink or the S3 sink, the bucket when both are set', () => {
    expect(archiveConfigFromEnv({ NPP_ARCHIVE_DIR: '/var/rec' })?.sink).toBeInstanceOf(DirectorySink);
    expect(archiveConfigFromEnv({ NPP_ARCHIVE_URL: 's3://bucket', AWS_REGION: 'ap-guangzhou' })?.sink).toBeInstanceOf(
      S3Sink,
    );
    expect(archiveConfigFromEnv({ NPP_ARCHIVE_DIR: '/var/rec', NPP_ARCHIVE_URL: 's3://bucket' })?.sink).toBeInstanceOf(
      S3Sink,
    );
  });

  it('reads bucket, prefix, encryption and path style', () => {
    expect(
      s3SinkOptionsFromEnv('s3://recordings-1250000000/npp/calls/', {
        NPP_ARCHIVE_SSE: 'aws:kms',
        NPP_ARCHIVE_SSE_KMS_KEY_ID: 'key-1',
        NPP_ARCHIVE_S3_PATH_STYLE: 'true',
      }),
    ).toEqual({
      bucket: 'recordings-1250000000',
      prefix: 'npp/calls',
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'key-1',
      client: { forcePathStyle: true },
    });
    expect(s3SinkOptionsFromEnv('s3://b', {})).toEqual({ bucket: 'b', prefix: '', client: { forcePathStyle: false } });
  });

  it.each([
    ['https://bucket/prefix', {}, 's3://bucket'],
    ['s3://', {}, 's3://bucket'],
    ['s3://user:secret@bucket', {}, 's3://bucket'],
    ['s3://bucket', { NPP_ARCHIVE_SSE: 'rot13' }, 'NPP_ARCHIVE_SSE must be one of'],
    ['s3://bucket', { NPP_ARCHIVE_SSE_KMS_KEY_ID: 'k' }, 'needs NPP_ARCHIVE_SSE=aws:kms'],
    ['s3://bucket', { NPP_ARCHIVE_S3_PATH_STYLE: 'yes' }, 'true or false'],
  ])('refuses %s %o with a readable message', (url, env, message) => {
    expect(() => s3SinkOptionsFromEnv(url, env)).toThrow(message);
  });

  it('keeps the size limit within what one S3 copy request takes', () => {
    const env = { NPP_ARCHIVE_URL: 's3://bucket', AWS_REGION: 'ap-guangzhou' };
    expect(archiveConfigFromEnv({ ...env, NPP_ARCHIVE_MAX_BYTES: String(5 * 1024 ** 3) })?.maxBytes).toBe(
      5 * 1024 ** 3,
    );
    expect(() => archiveConfigFromEnv({ ...env, NPP_ARCHIVE_MAX_BYTES: String(5 * 1024 ** 3 + 1) })).toThrow(
      'at most 5 GiB',
    );
    expect(archiveConfigFromEnv({ NPP_ARCHIVE_DIR: '/var/rec', NPP_ARCHIVE_MAX_BYTES: '6000000000' })?.maxBytes).toBe(
      6_000_000_000,
    );
  });

  it('never repeats credentials from a malformed URL', () => {
    expect(() => s3SinkOptionsFromEnv('s3://user:hunter2@bucket', {})).toThrow(/^(?!.*hunter2)/);
  });
});
