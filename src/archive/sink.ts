// Where archived recordings are kept. A sink stores one file per call and can say what it already
// holds, which is what makes archiving idempotent across activity retries and workflow replays.
/** Identifies one recording: the workflow it belongs to and the platform's CallId. */
export interface RecordingKey {
  workflowId: string;
  callId: string;
  /** File extension without the dot, e.g. "wav". */
  extension: string;
}

/** A recording as kept by a sink. */
export interface StoredRecording {
  /** Where the file is, in the sink's own terms (a path for a directory sink, `s3://bucket/key` for S3). */
  location: string;
  /** Hex SHA-256 of the content. */
  sha256: string;
  bytes: number;
}

export interface RecordingSink {
  /** The recording already stored under `key`, if any. */
  find(key: RecordingKey): Promise<StoredRecording | undefined>;
  /**
   * Stores `content` under `key`; the recording becomes visible only once the whole stream was
   * written, so a failed or aborted transfer never leaves a partial file behind. `sha256` answers
   * the content's hex SHA-256 once the stream has ended, for sinks that keep it beside the file.
   */
  store(key: RecordingKey, content: AsyncIterable<Uint8Array>, sha256: () => string): Promise<{ location: string }>;
}
