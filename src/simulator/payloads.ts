import type { CallbackEvent, EventKind } from './delivery.ts';

/*
 * Callback payloads. The platform's callback documents spell fields in lowerCamel, so a detail record
 * (VirturalNumCdr / CallBackCdr) is sent with its keys' first letter lowered. Every value is a
 * string, as in the API's own structures. docs/callbacks.md lists the fields.
 */

export type Payload = { callId: string } & Record<string, string>;

/** `{ CallId: "x", BindId: "y" }` → `{ callId: "x", bindId: "y" }`. */
export function lowerCamel(record: { CallId: string }): Payload {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string') out[key.charAt(0).toLowerCase() + key.slice(1)] = value;
  }
  return out as Payload;
}

/** A status event for `bit` at `at` (unix seconds), or nothing when StatusFlag does not ask for it. */
export function statusEvent(
  url: string | undefined,
  statusFlag: number,
  bit: number,
  at: number,
  fields: Payload,
): CallbackEvent[] {
  if (url === undefined || (statusFlag & bit) === 0) return [];
  return [{ kind: 'status', url, payload: { ...fields, callStatus: String(bit), timestamp: String(at) } }];
}

/** An event of another kind, or nothing when no URL is known for it. */
export function event(kind: EventKind, url: string | undefined, payload: Payload): CallbackEvent[] {
  return url === undefined ? [] : [{ kind, url, payload }];
}
