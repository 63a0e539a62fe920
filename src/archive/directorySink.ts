import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { RecordingKey, RecordingSink, StoredRecording } from './sink.ts';

/**
 * Ids as single path segments: percent-encoded, and a leading dot escaped too, so neither "/" nor
 * "." / ".." can step out of the archive directory.
 */
function segment(id: string): string {
  return encodeURIComponent(id).replace(/^\./, '%2E');
}

/** A temp file untouched this long belongs to no running download (those write continuously). */
const ABANDONED_PART_MS = 15 * 60 * 1000;

/** Keeps recordings as `<dir>/<workflowId>/<callId>.<ext>`, written via a temp file and a rename. */
export class DirectorySink implements RecordingSink {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(key: RecordingKey): string {
    return join(this.dir, segment(key.workflowId), `${segment(key.callId)}.${key.extension}`);
  }

  async find(key: RecordingKey): Promise<StoredRecording | undefined> {
    const path = this.pathOf(key);
    try {
      const { size } = await stat(path);
      const hash = createHash('sha256');
      await pipeline(createReadStream(path), hash);
      return { location: path, sha256: hash.digest('hex'), bytes: size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async store(key: RecordingKey, content: AsyncIterable<Uint8Array>): Promise<{ location: string }> {
    const path = this.pathOf(key);
    const folder = join(this.dir, segment(key.workflowId));
    await mkdir(folder, { recursive: true });
    // Dot-prefixed and unique per attempt: concurrent attempts never share a temp file.
    const temp = join(folder, `.${segment(key.callId)}.${randomUUID()}.part`);
    try {
      await pipeline(content, createWriteStream(temp, { flags: 'wx', flush: true }));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await this.#removeAbandonedParts(folder, key);
    return { location: path };
  }

  /** Temp files of this recording left by a worker that died mid-download (old enough to be no one's). */
  async #removeAbandonedParts(folder: string, key: RecordingKey): Promise<void> {
    const prefix = `.${segment(key.callId)}.`;
    for (const name of await readdir(folder)) {
      if (!name.startsWith(prefix) || !name.endsWith('.part')) continue;
      const part = join(folder, name);
      const { mtimeMs } = await stat(part).catch(() => ({ mtimeMs: Date.now() }));
      if (Date.now() - mtimeMs > ABANDONED_PART_MS) await rm(part, { force: true });
    }
  }
}
