// Delivery of a session's notifications to its app (the workflow's Notifier queues them, in order).
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { request } from 'undici';
import { NOTIFY_HEADERS, type Notification } from '../contract/notifications.ts';
import { signNotification } from '../notify/signature.ts';

/** Failure types of deliverNotification. */
export const NOTIFY_FAILURES = {
  /** The worker has no NPP_NOTIFY_SECRET: nothing can be signed. */
  notConfigured: 'NotifyNotConfigured',
  /** The receiver answered 4xx (other than 408 and 429): retrying would not change its mind. */
  refused: 'NotificationRefused',
  /** No answer, or 5xx / 408 / 429: retried with backoff. */
  notDelivered: 'NotificationNotDelivered',
} as const;

export interface NotifyDeps {
  /** NPP_NOTIFY_SECRET, shared with the apps' receivers. */
  secret?: string;
}

/** A receiver has this long to answer one attempt. */
const ANSWER_TIMEOUT_MS = 10_000;

export function createNotifyActivities({ secret }: NotifyDeps) {
  return {
    /** POSTs one notification, signed; answers once the receiver took it (2xx). */
    async deliverNotification(url: string, notification: Notification): Promise<void> {
      if (!secret) {
        throw ApplicationFailure.nonRetryable(
          'notifications need NPP_NOTIFY_SECRET on the worker',
          NOTIFY_FAILURES.notConfigured,
        );
      }
      const body = JSON.stringify(notification);
      const timestamp = Math.floor(Date.now() / 1000);
      let status: number;
      try {
        const answer = await request(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [NOTIFY_HEADERS.signature]: signNotification(secret, timestamp, body),
            [NOTIFY_HEADERS.timestamp]: String(timestamp),
            [NOTIFY_HEADERS.id]: notification.id,
          },
          body,
          headersTimeout: ANSWER_TIMEOUT_MS,
          bodyTimeout: ANSWER_TIMEOUT_MS,
          signal: Context.current().cancellationSignal,
        });
        status = answer.statusCode;
        await answer.body.dump();
      } catch (error) {
        const reason = (error as { code?: string }).code ?? (error as Error).message;
        throw ApplicationFailure.retryable(`no answer from the receiver: ${reason}`, NOTIFY_FAILURES.notDelivered);
      }
      if (status >= 200 && status < 300) return;
      const message = `the receiver answered HTTP ${status}`;
      if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
        throw ApplicationFailure.nonRetryable(message, NOTIFY_FAILURES.refused);
      }
      throw ApplicationFailure.retryable(message, NOTIFY_FAILURES.notDelivered);
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
