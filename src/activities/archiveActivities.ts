import { createHash, type Hash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type Dispatcher, request } from 'undici';
import type { RecordingSink } from '../archive/sink.ts';
import { ARCHIVE_FAILURES } from '../contract/failures.ts';
import type { ArchivedRecording } from '../contract/session.ts';

/** What archiveRecording needs to know about one recording. */
export interface ArchiveRecordingRequest {
  /** The workflow the call belongs to: recordings are grouped by it. */
  workflowId: string;
  /** The platform's CallId. */
  callId: string;
  /** The platform's recording URL (RecordUrl), valid for a limited time only. */
  recordUrl: string;
}

export interface ArchiveActivityDependencies {
  /** Without a sink archiving is off and archiveRecording answers null at once. */
  sink?: RecordingSink;
  maxBytes: number;
  /** Longest wait for the response headers, then between body chunks. Default 30 s. */
  stallTimeoutMs?: number;
  /**
   * Hosts recordings may be fetched from, redirects included (`.example.com` also allows its
   * subdomains); any host when unset. A forged recording URL then cannot make the worker fetch
   * from inside its network.
   */
  allowedHosts?: readonly string[];
}

/** 4xx answers that may succeed later: the platform may still be producing the file or throttling. */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);
const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Whether `hostname` is allowed by the list (any when there is none). */
export function recordingHostAllowed(allowedHosts: readonly string[] | undefined, hostname: string): boolean {
  if (!allowedHosts) return true;
  const host = hostname.toLowerCase();
  return allowedHosts.some((entry) => (entry.startsWith('.') ? host.endsWith(entry) : host === entry));
}

/** Recording URLs may carry signed query strings: only origin and path go into errors. */
function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function extensionOf(url: URL): string {
  return /\.([A-Za-z0-9]{1,8})$/.exec(url.pathname)?.[1]?.toLowerCase() ?? 'bin';
}

/** What passed through a metered stream so far. */
interface Metered {
  hash: Hash;
  bytes: number;
}

/** Passes the body on while hashing and counting it, failing as soon as it exceeds `maxBytes`. */
async function* metered(
  body: AsyncIterable<Buffer>,
  maxBytes: number,
  totals: Metered,
  onProgress: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    totals.bytes += chunk.length;
    if (totals.bytes > maxBytes) throw tooLarge(maxBytes);
    totals.hash.update(chunk);
    onProgress(totals.bytes);
    yield chunk;
  }
}

/** Releases the connection of a response whose body is not wanted (closed unread when large). */
async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  await body.dump().catch(() => undefined);
}

function tooLarge(maxBytes: number): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`recording exceeds the limit of ${maxBytes} bytes`, ARCHIVE_FAILURES.tooLarge);
}

export function createArchiveActivities({
  sink,
  maxBytes,
  stallTimeoutMs = 30_000,
  allowedHosts,
}: ArchiveActivityDependencies) {
  /** GETs `url`, following redirects by hand so that every hop's host is checked. */
  async function fetchRecording(url: URL, signal: AbortSignal) {
    let current = url;
    for (let hops = 0; ; hops++) {
      if (!recordingHostAllowed(allowedHosts, current.hostname)) {
        throw ApplicationFailure.nonRetryable(
          `${describeUrl(current)} is not on the recording hosts allowed by NPP_RECORDING_HOSTS`,
          ARCHIVE_FAILURES.invalidUrl,
        );
      }
      const response = await request(current, { headersTimeout: stallTimeoutMs, bodyTimeout: stallTimeoutMs, signal });
      const location = response.headers.location;
      if (!REDIRECT_STATUSES.has(response.statusCode) || typeof location !== 'string') return response;
      await discard(response.body);
      if (hops >= MAX_REDIRECTS) {
        throw ApplicationFailure.nonRetryable(`${describeUrl(url)}: too many redirects`, ARCHIVE_FAILURES.unavailable);
      }
      current = new URL(location, current);
      if (current.protocol !== 'http:' && current.protocol !== 'https:') {
        throw ApplicationFailure.nonRetryable('a recording redirect must stay http(s)', ARCHIVE_FAILURES.invalidUrl);
      }
    }
  }

  return {
    /**
     * Streams a recording into the archive and answers where it is and its SHA-256; null when
     * archiving is off. Idempotent: a recording already archived for this call is not fetched again.
     */
    async archiveRecording({
      workflowId,
      callId,
      recordUrl,
    }: ArchiveRecordingRequest): Promise<ArchivedRecording | null> {
      if (!sink) return null;
      let url: URL;
      try {
        url = new URL(recordUrl);
      } catch {
        throw ApplicationFailure.nonRetryable('recordUrl is not a URL', ARCHIVE_FAILURES.invalidUrl);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw ApplicationFailure.nonRetryable('recordUrl must be http(s)', ARCHIVE_FAILURES.invalidUrl);
      }
      const key = { workflowId, callId, extension: extensionOf(url) };
      const existing = await sink.find(key);
      if (existing) return existing;

      const context = Context.current();
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await fetchRecording(url, context.cancellationSignal);
      } catch (error) {
        if (error instanceof ApplicationFailure || context.cancellationSignal.aborted) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw ApplicationFailure.retryable(
          `fetching ${describeUrl(url)} failed: ${reason}`,
          ARCHIVE_FAILURES.fetchFailed,
        );
      }
      const { statusCode, headers, body } = response;
      if (statusCode < 200 || statusCode >= 300) {
        await discard(body);
        const message = `${describeUrl(url)} answered HTTP ${statusCode}`;
        if (statusCode >= 500 || TRANSIENT_CLIENT_STATUSES.has(statusCode)) {
          throw ApplicationFailure.retryable(message, ARCHIVE_FAILURES.fetchFailed);
        }
        throw ApplicationFailure.nonRetryable(message, ARCHIVE_FAILURES.unavailable);
      }
      // Refuse early when the server announces the size; metering still counts what really comes.
      if (Number(headers['content-length'] ?? 0) > maxBytes) {
        await discard(body);
        throw tooLarge(maxBytes);
      }
      const totals: Metered = { hash: createHash('sha256'), bytes: 0 };
      try {
        const content = metered(body, maxBytes, totals, (bytes) => context.heartbeat({ bytes }));
        // A hash digests once: the sink and the answer share the one result.
        let sha256: string | undefined;
        const digest = () => (sha256 ??= totals.hash.digest('hex'));
        const { location } = await sink.store(key, content, digest);
        return { location, sha256: digest(), bytes: totals.bytes };
      } catch (error) {
        await discard(body);
        if (error instanceof ApplicationFailure || context.cancellationSignal.aborted) throw error;
        const reason = error instanceof Error ? error.message : String(error);
        throw ApplicationFailure.retryable(
          `archiving ${describeUrl(url)} failed: ${reason}`,
          ARCHIVE_FAILURES.fetchFailed,
        );
      }
    },
  };
}

export type ArchiveActivities = ReturnType<typeof createArchiveActivities>;
