// Keeps recordings in an S3-compatible bucket (AWS S3, Tencent COS, MinIO, s3proxy). The upload
// streams through the SDK's multipart Upload; the SHA-256 is only known once the stream has ended,
// so it is written afterwards as the object's metadata by copying the object onto itself. An object
// without that metadata is an upload that did not finish and counts as absent (stored again).
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
  S3ServiceException,
  type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ApplicationFailure } from '@temporalio/common';
import { ARCHIVE_FAILURES } from '../contract/failures.ts';
import type { RecordingKey, RecordingSink, StoredRecording } from './sink.ts';

/** Where and how recordings are kept in object storage. */
export interface S3SinkOptions {
  bucket: string;
  /** Key prefix without a trailing slash; empty for the bucket's root. */
  prefix: string;
  /** Server-side encryption asked of the store (`AES256`, `aws:kms`); none when unset. */
  serverSideEncryption?: ServerSideEncryption;
  /** The KMS key for `aws:kms`; the store's default key when unset. */
  kmsKeyId?: string;
  /** Endpoint, region, credentials, path style; the SDK's own defaults (AWS_* variables) fill the rest. */
  client?: S3ClientConfig;
}

/** Metadata names (S3 sends them as x-amz-meta-*; lower case survives every store). */
const SHA256_METADATA = 'sha256';

/** Errors that no retry can mend: the credentials, the bucket or the key policy are wrong. */
const REFUSED_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'InvalidBucketName',
  'AllBucketsInvalidated',
  'KMS.NotFoundException',
]);

/** Ids as single key segments: "/" inside an id never makes a folder of its own. */
function segment(id: string): string {
  return encodeURIComponent(id);
}

/**
 * A refusal by the store is a non-retryable ArchiveStorageRefused; anything else (network, 5xx,
 * throttling) is passed on for the activity to retry. Messages carry the store's error name and
 * the bucket, never credentials.
 */
function classify(error: unknown, bucket: string): unknown {
  if (!(error instanceof S3ServiceException)) return error;
  const status = error.$metadata.httpStatusCode;
  if (REFUSED_ERRORS.has(error.name) || status === 401 || status === 403) {
    // A HEAD answer has no body, so its error has no name of its own.
    const reason = error.name && error.name !== 'Unknown' ? error.name : 'refused';
    return ApplicationFailure.nonRetryable(
      `object storage refused access to bucket ${bucket}: ${reason} (HTTP ${status ?? '?'}); check the credentials, the bucket and its policy`,
      ARCHIVE_FAILURES.storageRefused,
    );
  }
  return error;
}

/** Keeps recordings as `<prefix>/<workflowId>/<callId>.<ext>` in one bucket. */
export class S3Sink implements RecordingSink {
  readonly #s3: S3Client;
  readonly #options: S3SinkOptions;

  constructor(options: S3SinkOptions) {
    this.#options = options;
    this.#s3 = new S3Client(options.client ?? {});
  }

  keyOf(key: RecordingKey): string {
    const name = `${segment(key.workflowId)}/${segment(key.callId)}.${key.extension}`;
    return this.#options.prefix ? `${this.#options.prefix}/${name}` : name;
  }

  #location(objectKey: string): string {
    return `s3://${this.#options.bucket}/${objectKey}`;
  }

  #encryption() {
    const { serverSideEncryption, kmsKeyId } = this.#options;
    return {
      ...(serverSideEncryption ? { ServerSideEncryption: serverSideEncryption } : {}),
      ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
    };
  }

  async find(key: RecordingKey): Promise<StoredRecording | undefined> {
    const Key = this.keyOf(key);
    try {
      const head = await this.#s3.send(new HeadObjectCommand({ Bucket: this.#options.bucket, Key }));
      const sha256 = head.Metadata?.[SHA256_METADATA];
      if (!sha256) return undefined;
      return { location: this.#location(Key), sha256, bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return undefined;
      throw classify(error, this.#options.bucket);
    }
  }

  async store(
    key: RecordingKey,
    content: AsyncIterable<Uint8Array>,
    sha256: () => string,
  ): Promise<{ location: string }> {
    const { bucket } = this.#options;
    const Key = this.keyOf(key);
    try {
      // A failed multipart upload is aborted by Upload itself (leavePartsOnError is off).
      await new Upload({
        client: this.#s3,
        params: { Bucket: bucket, Key, Body: Readable.from(content), ...this.#encryption() },
      }).done();
      await this.#s3.send(
        new CopyObjectCommand({
          Bucket: bucket,
          Key,
          CopySource: `${encodeURIComponent(bucket)}/${Key.split('/').map(encodeURIComponent).join('/')}`,
          MetadataDirective: 'REPLACE',
          Metadata: { [SHA256_METADATA]: sha256() },
          ...this.#encryption(),
        }),
      );
    } catch (error) {
      throw classify(error, bucket);
    }
    return { location: this.#location(Key) };
  }
}
