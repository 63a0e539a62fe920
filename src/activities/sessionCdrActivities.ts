import { Context } from '@temporalio/activity';
import type { CallHangupEvent } from '../contract/session.ts';
import { parseCallback } from '../npp/callbacks/events.ts';
import { InvalidPayloadError } from '../npp/callbacks/fields.ts';
import type { NppClient } from '../npp/client.ts';
import { callNpp } from './nppActivities.ts';

/** Which calls of a session to look up, and the time range their CDRs fall in (unix seconds). */
export interface SessionCdrLookup {
  callIds: string[];
  start: number;
  end: number;
  bizAppId?: string;
}

/** Calls looked up in one activity: a session asks only for the calls it still lacks. */
export const MAX_CALLS_PER_LOOKUP = 100;

/**
 * A session's own backfill: Get400Cdr by CallId for each call whose hangup CDR (or recording URL) never
 * came by webhook. Each CDR is parsed exactly as the webhook parses it, so it carries the same event id
 * and a later redelivery is recognised. Calls the platform has no CDR for are left out.
 */
export function createSessionCdrActivities({ client }: { client: NppClient }) {
  return {
    async lookUpSessionHangups({ callIds, start, end, bizAppId }: SessionCdrLookup): Promise<CallHangupEvent[]> {
      const found: CallHangupEvent[] = [];
      for (const [done, callId] of callIds.slice(0, MAX_CALLS_PER_LOOKUP).entries()) {
        Context.current().heartbeat({ done });
        const { Cdr } = await callNpp(client, 'Get400Cdr', {
          CallId: callId,
          StartTimeStamp: String(start),
          EndTimeStamp: String(end),
          ...(bizAppId ? { BizAppId: bizAppId } : {}),
        });
        const cdr = (Cdr ?? []).find((record) => record.CallId === callId);
        if (!cdr) continue;
        try {
          const parsed = parseCallback('hangup', cdr);
          if (parsed.signalName === 'callHangup') found.push(parsed.event);
        } catch (error) {
          if (!(error instanceof InvalidPayloadError)) throw error;
          Context.current().log.warn('Get400Cdr answered a CDR the parser refuses', { callId, reason: error.message });
        }
      }
      return found;
    },
  };
}

export type SessionCdrActivities = ReturnType<typeof createSessionCdrActivities>;
