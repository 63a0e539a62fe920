import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload, type PayloadCodec } from '@temporalio/common';
import { parseCodecKeys } from '../src/codec/keys.ts';
import type { CallRecord, SessionState } from '../src/contract/session.ts';
import { maskPhone } from '../src/phone.ts';
import { createDataConverter } from '../src/temporal/dataConverter.ts';
import type { Benchmark } from './context.ts';
import { compare, type Variant } from './harness.ts';

// What every workflow input, query answer and result costs to put on and take off the wire: the
// default converter (JSON) against the app's converter (JSON, then AES-256-GCM over the payload).

function sessionState(calls: number): SessionState {
  const start = 1_700_000_000;
  const record = (index: number): CallRecord => ({
    callId: `call-${index.toString().padStart(6, '0')}-7f3a9c`,
    bindId: 'bind-2f8e6d4c1b0a',
    state: 'ended',
    caller: maskPhone('008613800000001'),
    callee: maskPhone('008613900000002'),
    statusBits: 1 + 256 + 512 + 1024 + 4096,
    startedAt: start + index * 300,
    answeredAt: start + index * 300 + 8,
    endedAt: start + index * 300 + 128,
    endStatus: 1,
    endStatusText: 'normal',
    srcDuration: 128,
    dstDuration: 120,
    recordUrl: `https://records.example.com/r/call-${index}.wav`,
    keys: [],
  });
  return {
    sessionKey: 'order-4711',
    mode: 'AXB',
    ttlMode: 'fixed',
    status: 'in-progress',
    src: maskPhone('008613800000001'),
    dst: maskPhone('008613900000002'),
    record: true,
    virtualNum: '008617000000001',
    bindId: 'bind-2f8e6d4c1b0a',
    bizId: 'a1b2c3d4e5f6',
    heldReferences: 1,
    platformRefNum: 1,
    calls: Array.from({ length: calls }, (_, index) => record(index)),
    createdAt: new Date(start * 1000).toISOString(),
    boundAt: new Date(start * 1000).toISOString(),
    expiresAt: new Date((start + 86_400) * 1000).toISOString(),
  };
}

/** toPayload then every codec, and back: what a client or worker does per value. */
function roundTrip(codecs: readonly PayloadCodec[], value: SessionState): Variant['run'] {
  return async () => {
    let payloads: Payload[] = [defaultPayloadConverter.toPayload(value)];
    for (const codec of codecs) payloads = await codec.encode(payloads);
    for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
    return defaultPayloadConverter.fromPayload(payloads[0] as Payload);
  };
}

async function encodedBytes(codecs: readonly PayloadCodec[], value: SessionState): Promise<number> {
  let payloads: Payload[] = [defaultPayloadConverter.toPayload(value)];
  for (const codec of codecs) payloads = await codec.encode(payloads);
  return payloads[0]?.data?.byteLength ?? 0;
}

export const codecBenchmark: Benchmark = {
  name: 'codec',
  description: 'payload encode+decode: default data converter vs the app converter with the AES-256-GCM codec',
  async run(context) {
    const { dataConverter } = createDataConverter(parseCodecKeys(`bench:${randomBytes(32).toString('base64')}`));
    const appCodecs = dataConverter.payloadCodecs ?? [];
    const results = [];
    for (const calls of [0, 200]) {
      const state = sessionState(calls);
      const plain = await encodedBytes([], state);
      const sealed = await encodedBytes(appCodecs, state);
      results.push(
        await compare(
          {
            title: `SessionState with ${calls} calls`,
            variants: [
              { name: 'default converter (JSON)', run: roundTrip([], state) },
              { name: 'app converter (JSON + AES-256-GCM)', run: roundTrip(appCodecs, state) },
            ],
            note: `One op: encode and decode one SessionState (payload data ${plain} B plain, ${sealed} B encrypted).`,
          },
          context.measure(),
        ),
      );
    }
    return results;
  },
};
