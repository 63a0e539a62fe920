// fast-check generators of the events the webhook signals for calls through a virtual number, each
// call's events consistent with one another as the platform sends them (one caller, one callee, one
// binding, one recording URL, one hangup CDR, each StatusFlag bit at most once).
import fc from 'fast-check';
import type {
  CallHangupEvent,
  CallRecordingEvent,
  CallStatusEvent,
  KeyPressEvent,
} from '../../src/contract/session.ts';
import { StatusFlagBits } from '../../src/npp/models.ts';

export type CallEvent =
  | { kind: 'status'; event: CallStatusEvent }
  | { kind: 'hangup'; event: CallHangupEvent }
  | { kind: 'recording'; event: CallRecordingEvent }
  | { kind: 'keyPress'; event: KeyPressEvent };

const STATUS_BITS = Object.values(StatusFlagBits);

/** Unix seconds within one day, so events of a call overlap in time. */
const timestamp = fc.integer({ min: 1_760_000_000, max: 1_760_086_400 });
const mobile = fc.stringMatching(/^00861[3-9]\d{9}$/);
const present = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** Every event of one call, in the order they were generated (not an arrival order). */
export function callEvents(callId: string): fc.Arbitrary<CallEvent[]> {
  return fc
    .record({
      caller: mobile,
      callee: mobile,
      bindId: present(fc.stringMatching(/^[0-9a-f]{32}$/)),
      recordUrl: present(fc.webUrl()),
      statuses: fc.uniqueArray(fc.record({ bit: fc.constantFrom(...STATUS_BITS), timestamp, parties: fc.boolean() }), {
        selector: (status) => status.bit,
        maxLength: STATUS_BITS.length,
      }),
      hangup: present(
        fc.record({
          callCenterAcceptTime: present(timestamp),
          // The CDR says 0 for a callee who never answered.
          dstAcceptTime: present(fc.oneof(fc.constant(0), timestamp)),
          endCallTime: present(timestamp),
          callEndStatus: fc.integer({ min: 0, max: 10 }),
          srcDuration: fc.nat(7200),
          dstDuration: fc.nat(7200),
          parties: fc.boolean(),
          carriesRecordUrl: fc.boolean(),
        }),
      ),
      recorded: fc.boolean(),
      keys: fc.array(fc.record({ key: fc.constantFrom(...'0123456789*#'), timestamp }), { maxLength: 5 }),
    })
    .map(({ caller, callee, bindId, recordUrl, statuses, hangup, recorded, keys }) => {
      const binding = bindId ? { bindId } : {};
      const events: CallEvent[] = statuses.map(({ bit, timestamp, parties }) => ({
        kind: 'status',
        event: {
          eventId: `${callId}-status-${bit}`,
          callId,
          callStatus: bit,
          timestamp,
          ...binding,
          ...(parties ? { caller, callee } : {}),
        },
      }));
      if (hangup) {
        const { parties, carriesRecordUrl, ...cdr } = hangup;
        events.push({
          kind: 'hangup',
          event: {
            eventId: `${callId}-hangup`,
            callId,
            ...cdr,
            ...binding,
            ...(parties ? { caller, callee } : {}),
            ...(carriesRecordUrl && recordUrl ? { recordUrl } : {}),
          },
        });
      }
      if (recorded && recordUrl) {
        events.push({ kind: 'recording', event: { eventId: `${callId}-record`, callId, recordUrl, ...binding } });
      }
      keys.forEach(({ key, timestamp }, i) => {
        events.push({ kind: 'keyPress', event: { eventId: `${callId}-key-${i}`, callId, key, timestamp } });
      });
      return events;
    });
}

/** The events of 1-4 calls with distinct CallIds, call after call. */
export const sessionEvents: fc.Arbitrary<CallEvent[]> = fc
  .uniqueArray(fc.stringMatching(/^[0-9a-f]{8}$/), { minLength: 1, maxLength: 4 })
  .chain((callIds) => fc.tuple(...callIds.map(callEvents)))
  .map((perCall) => perCall.flat());

/** `events` in some arrival order, with some of them delivered again (webhook redeliveries). */
export function arrivals(events: CallEvent[]): fc.Arbitrary<CallEvent[]> {
  if (events.length === 0) return fc.constant([]);
  return fc.array(fc.constantFrom(...events), { maxLength: events.length }).chain((redelivered) => {
    const all = [...events, ...redelivered];
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });
}
