import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createAesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/aesGcmCodec.ts';
import { loadCodecKeys, parseCodecKeys } from '../../src/codec/keys.ts';

const key = () => randomBytes(32).toString('base64');
const OLD = `old:${key()}`;
const NEW = `new:${key()}`;
const NUMBER = '008613812345678';

const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value) as Payload;
const fromPayload = (payload: Payload) => defaultPayloadConverter.fromPayload(payload);
const metadata = (payload: Payload, name: string) => Buffer.from(payload.metadata?.[name] ?? []).toString();

describe('AES-256-GCM payload codec', () => {
  it('encrypts with the current key, naming it, and decodes back', async () => {
    const codec = createAesGcmCodec(parseCodecKeys(`${NEW},${OLD}`));
    const [encoded] = await codec.encode([toPayload({ dst: NUMBER })]);
    expect(metadata(encoded as Payload, 'encoding')).toBe(ENCRYPTED_ENCODING);
    expect(metadata(encoded as Payload, KEY_ID_METADATA)).toBe('new');
    expect(Buffer.from(JSON.stringify(encoded)).includes(NUMBER)).toBe(false);
    expect(Buffer.from((encoded as Payload).data ?? []).includes(NUMBER)).toBe(false);
    const [decoded] = await codec.decode([encoded as Payload]);
    expect(fromPayload(decoded as Payload)).toEqual({ dst: NUMBER });
  });

  it('uses a fresh IV: the same value never encrypts the same way twice', async () => {
    const codec = createAesGcmCodec(parseCodecKeys(NEW));
    const [a, b] = await codec.encode([toPayload(NUMBER), toPayload(NUMBER)]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('rotation: data encrypted under the old key decodes after the current key changed', async () => {
    const before = createAesGcmCodec(parseCodecKeys(OLD));
    const [old] = await before.encode([toPayload({ src: NUMBER })]);
    const after = createAesGcmCodec(parseCodecKeys(`${NEW},${OLD}`));
    expect(fromPayload((await after.decode([old as Payload]))[0] as Payload)).toEqual({ src: NUMBER });
    const [fresh] = await after.encode([toPayload('x')]);
    expect(metadata(fresh as Payload, KEY_ID_METADATA)).toBe('new');
  });

  it('an unknown key id fails with an error naming it', async () => {
    const [old] = await createAesGcmCodec(parseCodecKeys(OLD)).encode([toPayload(1)]);
    await expect(createAesGcmCodec(parseCodecKeys(NEW)).decode([old as Payload])).rejects.toThrow(
      'no codec key with id "old" is configured',
    );
  });

  it('detects tampering with the ciphertext and relabelling with another key id', async () => {
    const keyring = parseCodecKeys(`${NEW},${OLD}`);
    const codec = createAesGcmCodec(keyring);
    const [encoded] = (await codec.encode([toPayload({ dst: NUMBER })])) as [Payload];
    const flipped = Buffer.from(encoded.data ?? []);
    flipped[20] = (flipped[20] as number) ^ 1;
    await expect(codec.decode([{ ...encoded, data: flipped }])).rejects.toThrow(/\(key "new"\) failed authentication/);
    const relabelled = { ...encoded, metadata: { ...encoded.metadata, [KEY_ID_METADATA]: Buffer.from('old') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/\(key "old"\) failed authentication/);
    const truncated = { ...encoded, data: Buffer.from(encoded.data ?? []).subarray(0, 10) };
    await expect(codec.decode([truncated])).rejects.toThrow(/truncated/);
  });

  it('payloads written before encryption decode as they are', async () => {
    const plain = toPayload({ legacy: true });
    expect(await createAesGcmCodec(parseCodecKeys(NEW)).decode([plain])).toEqual([plain]);
  });
});

describe('codec keys', () => {
  it('parses ids and keys, first one current; errors never quote key material', () => {
    const keyring = parseCodecKeys(` ${NEW} ,\n${OLD}\n`);
    expect(keyring.current.id).toBe('new');
    expect([...keyring.byId.keys()]).toEqual(['new', 'old']);
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => parseCodecKeys(`k1:${short}`)).toThrow('NPP_CODEC_KEYS key "k1" must be 32 bytes');
    try {
      parseCodecKeys(`k1:${short}`);
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
    expect(() => parseCodecKeys(`no-colon-${key()}`)).toThrow('entry 1 must be "id:base64key"');
    expect(() => parseCodecKeys(`${NEW},${NEW}`)).toThrow('names key "new" twice');
    expect(() => parseCodecKeys(' , ')).toThrow('holds no key');
  });

  it('loads NPP_CODEC_KEYS, else NPP_CODEC_KEY_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'npp-codec-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2026-01\n${OLD}\n`);
    expect(loadCodecKeys({ NPP_CODEC_KEYS: NEW, NPP_CODEC_KEY_FILE: file }).current.id).toBe('new');
    expect(loadCodecKeys({ NPP_CODEC_KEY_FILE: file }).current.id).toBe('old');
    expect(() => loadCodecKeys({ NPP_CODEC_KEY_FILE: join(dir, 'missing') })).toThrow(
      /NPP_CODEC_KEY_FILE cannot be read \(ENOENT\)/,
    );
  });

  it('fails at startup in production without a configured key', () => {
    expect(() => loadCodecKeys({ NODE_ENV: 'production' })).toThrow(
      'NPP_CODEC_KEYS or NPP_CODEC_KEY_FILE is required in production',
    );
  });

  it('outside production generates one local dev key, private to the user, reused after a restart', () => {
    const devKeyPath = join(mkdtempSync(join(tmpdir(), 'npp-codec-dev-')), 'nested', 'codec-dev-key');
    const first = loadCodecKeys({}, { devKeyPath });
    expect(first.current.id).toMatch(/^dev-[0-9a-f]{8}$/);
    expect(statSync(devKeyPath).mode & 0o777).toBe(0o600);
    const again = loadCodecKeys({}, { devKeyPath });
    expect(again.current.material.equals(first.current.material)).toBe(true);
    expect(readFileSync(devKeyPath, 'utf8')).toContain(first.current.id);
  });
});
