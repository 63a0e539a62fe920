import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError } from '@temporalio/client';

/**
 * Runs `fn` until it succeeds, as an app would around its own calls while workers, the webhook and
 * Temporal are being killed: at most `attempts` tries, `delayMs` apart. The last error is thrown. A
 * failed update is the workflow's answer, not a fault: it is thrown at once (the same update id
 * would only answer the same failure again).
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, attempts = 60, delayMs = 1000): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) throw error;
      last = error;
      if (attempt < attempts) await sleep(delayMs);
    }
  }
  throw new Error(
    `${what}: gave up after ${attempts} attempts: ${last instanceof Error ? last.message : String(last)}`,
  );
}

/** Polls `check` until it answers something other than undefined; at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(intervalMs);
  }
}
