// What a session or callback call tells its app: events POSTed as signed JSON to its notifyUrl.

/** The events a session notifies, in the order they happen to one session or call. */
export const SESSION_NOTIFICATION_TYPES = [
  'bound',
  'call-started',
  'call-answered',
  'call-ended',
  'recording-archived',
  'closing',
  'closed',
  'failed',
] as const;

/** A callback call notifies each status it reaches (CallBackStatus), and its archived recording. */
export const CALLBACK_NOTIFICATION_TYPES = [
  'created',
  'caller-ringing',
  'caller-answered',
  'callee-ringing',
  'connected',
  'ended',
  'cancelled',
  'failed',
  'recording-archived',
] as const;

export type NotificationType =
  | (typeof SESSION_NOTIFICATION_TYPES)[number]
  | (typeof CALLBACK_NOTIFICATION_TYPES)[number];

/** One notification, the JSON body of the POST. Phone numbers in it are masked. */
export interface Notification {
  /** `<workflow id>:<sequence>`: the same on every redelivery, so receivers drop repeats by it. */
  id: string;
  type: NotificationType;
  /** The session's key (session notifications). */
  sessionKey?: string;
  /** The callback call's key (callback-call notifications). */
  callKey?: string;
  /** ISO-8601: when the session noticed it. */
  at: string;
  /**
   * Sessions: the call record for call-* and recording-archived; the status, binding and reason
   * otherwise. Callback calls: the status, CallId, CDR summary, archive or failure.
   */
  data: Record<string, unknown>;
}

/** Headers of every notification POST (see docs/notifications.md for verifying them). */
export const NOTIFY_HEADERS = {
  /** Hex HMAC-SHA256, keyed with NPP_NOTIFY_SECRET, of `<timestamp>.<body>`. */
  signature: 'x-npp-signature',
  /** Unix seconds when this attempt was signed; receivers refuse old ones (replays). */
  timestamp: 'x-npp-timestamp',
  /** The notification's id, as in the body. */
  id: 'x-npp-notification-id',
} as const;

/** Delivery outcomes a session counts (its state's `notifications`). */
export interface NotificationStats {
  delivered: number;
  /** Given up after every retry (or refused by the receiver): counted, never blocking the session. */
  failed: number;
  lastFailure?: { code: string; message: string };
}

/** What the next run of a continued session or callback call needs to go on notifying where this one stopped. */
export interface CarriedNotifications {
  pending: Notification[];
  sequence: number;
  /** Per call: the events already notified (bits of CALL_NOTIFIED; a callback call's recording: 1). */
  notifiedCalls: Record<string, number>;
  notifiedStatus: string;
}
