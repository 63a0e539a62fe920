// Platform callback bodies as the simulator sends them: lowerCamel, every value a string.

export const CALLER = '008613812345678';
export const CALLEE = '008613987654321';
export const VIRTUAL = '008617011112222';

export const statusBody = (callId: string, bindId = 'bind-1') => ({
  callId,
  bindId,
  src: CALLER,
  dst: CALLEE,
  virtualNum: VIRTUAL,
  callStatus: '1024',
  timestamp: '1700000100',
});

export const hangupBody = (callId: string, bindId = 'bind-1') => ({
  callId,
  bindId,
  src: CALLER,
  dst: CALLEE,
  dstVirtualNum: VIRTUAL,
  callCenterAcceptTime: '1700000000',
  startDstCallTime: '1700000001',
  startDstRingTime: '1700000002',
  dstAcceptTime: '1700000010',
  endCallTime: '1700000070',
  callEndStatus: '1',
  srcDuration: '70',
  dstDuration: '60',
  recordUrl: '',
});

export const recordBody = (callId: string, bindId = 'bind-1') => ({
  callId,
  bindId,
  recordUrl: 'https://records.example.com/r/abc.wav',
});

export const keypressBody = (callId: string) => ({ callId, key: '#', timestamp: '1700000005' });

/** `{ callId: … }` → `{ CallId: … }`: the API's own spelling. */
export function upperCamel(body: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [key.charAt(0).toUpperCase() + key.slice(1), value]),
  );
}
