import { describe, expect, it } from 'vitest';
import { parseCallback } from '../../src/npp/callbacks/events.ts';
import { InvalidPayloadError } from '../../src/npp/callbacks/fields.ts';
import { CALLEE, CALLER, hangupBody, keypressBody, recordBody, statusBody, upperCamel, VIRTUAL } from './payloads.ts';

describe('parseCallback', () => {
  it('turns a status body into a CallStatusEvent with numbers and caller/callee', () => {
    const { event, callId, bindId, signal } = parseCallback('status', statusBody('c1'));
    expect(signal.name).toBe('callStatus');
    expect({ callId, bindId }).toEqual({ callId: 'c1', bindId: 'bind-1' });
    expect(event).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
      callId: 'c1',
      bindId: 'bind-1',
      callStatus: 1024,
      timestamp: 1700000100,
      caller: CALLER,
      callee: CALLEE,
    });
  });

  it('turns a virtual-number CDR into a CallHangupEvent, empty strings as absent', () => {
    const { event } = parseCallback('hangup', hangupBody('c1'));
    expect(event).toEqual({
      eventId: expect.any(String),
      callId: 'c1',
      bindId: 'bind-1',
      caller: CALLER,
      callee: CALLEE,
      virtualNum: VIRTUAL,
      callCenterAcceptTime: 1700000000,
      startDstCallTime: 1700000001,
      startDstRingTime: 1700000002,
      dstAcceptTime: 1700000010,
      endCallTime: 1700000070,
      callEndStatus: 1,
      srcDuration: 70,
      dstDuration: 60,
    });
  });

  it('leaves out the moments a call never reached ("0") and an empty callee', () => {
    const unanswered = { ...hangupBody('c1'), dst: '', dstAcceptTime: '0', startDstRingTime: '0', dstDuration: '0' };
    const { event } = parseCallback('hangup', unanswered);
    expect(event).not.toHaveProperty('dstAcceptTime');
    expect(event).not.toHaveProperty('startDstRingTime');
    expect(event).not.toHaveProperty('callee');
    expect(event).toMatchObject({ dstDuration: 0, endCallTime: 1700000070 });
  });

  it('parses record and keypress bodies', () => {
    expect(parseCallback('record', recordBody('c1')).event).toMatchObject({
      callId: 'c1',
      recordUrl: 'https://records.example.com/r/abc.wav',
    });
    expect(parseCallback('keypress', keypressBody('c1')).event).toMatchObject({ key: '#', timestamp: 1700000005 });
  });

  it('gives the same event id to both spellings and to extra delivery fields, another to other content', () => {
    const id = parseCallback('status', statusBody('c1')).event.eventId;
    expect(parseCallback('status', upperCamel(statusBody('c1'))).event.eventId).toBe(id);
    expect(parseCallback('status', { ...statusBody('c1'), deliveryAttempt: '2' }).event.eventId).toBe(id);
    expect(parseCallback('status', { ...statusBody('c1'), callStatus: '4096' }).event.eventId).not.toBe(id);
    expect(parseCallback('record', recordBody('c1')).event.eventId).not.toBe(
      parseCallback('hangup', hangupBody('c1')).event.eventId,
    );
  });

  it('tells key presses apart by call, key and second only, as the platform sends nothing finer', () => {
    const press = (callId: string, key: string, timestamp: string) =>
      parseCallback('keypress', { callId, key, timestamp }).event.eventId;
    const id = press('c1', '1', '1700000005');
    expect(press('c1', '1', '1700000006')).not.toBe(id);
    expect(press('c1', '2', '1700000005')).not.toBe(id);
    expect(press('c2', '1', '1700000005')).not.toBe(id);
    // The documented limitation (docs/webhooks.md, "Event ids"): a second press of the key in the same
    // second cannot be told from a redelivery, so it is one event.
    expect(press('c1', '1', '1700000005')).toBe(id);
  });

  it('turns a callback-call CDR on the hangup route into a CallBackHangupEvent', () => {
    const callBackCdr = {
      callId: 'c1',
      src: CALLER,
      dst: CALLEE,
      startSrcCallTime: '1700000000',
      startSrcRingTime: '1700000000',
      srcAcceptTime: '1700000004',
      startDstCallTime: '1700000005',
      startDstRingTime: '1700000005',
      dstAcceptTime: '0',
      endCallTime: '1700000030',
      callEndStatus: '3',
      duration: '0',
      recordUrl: '',
      callType: '3',
      bizId: 'order42',
      orderId: '',
    };
    const { event, signal } = parseCallback('hangup', callBackCdr);
    expect(signal.name).toBe('callBackHangup');
    expect(event).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
      callId: 'c1',
      caller: CALLER,
      callee: CALLEE,
      startSrcCallTime: 1700000000,
      startSrcRingTime: 1700000000,
      srcAcceptTime: 1700000004,
      startDstCallTime: 1700000005,
      startDstRingTime: 1700000005,
      endCallTime: 1700000030,
      callEndStatus: 3,
      duration: 0,
      callType: 3,
      bizId: 'order42',
    });
  });

  it('rejects a hangup body that is neither kind of detail record', () => {
    expect(() => parseCallback('hangup', { callId: 'c1', callEndStatus: '1' })).toThrow(InvalidPayloadError);
  });

  it('rejects disagreeing spellings of one field', () => {
    expect(() => parseCallback('status', { ...statusBody('c1'), CallId: 'c2' })).toThrow(/disagree/);
  });
});
