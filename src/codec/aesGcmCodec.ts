import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { CodecKeyring } from './keys.ts';

// AES-256-GCM over whole payloads: the original payload (metadata and data) is serialized and
// encrypted, so Temporal stores neither the values nor how they were encoded.

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const utf8 = new TextEncoder();
const text = new TextDecoder();

/** Raised when a payload cannot be decrypted; the message names the key id, never key material. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

function encrypt(keyring: CodecKeyring, payload: Payload): Payload {
  const { id, material } = keyring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  // The key id is authenticated too: a payload relabelled with another id fails to decrypt.
  cipher.setAAD(utf8.encode(id));
  const plain = ProtoPayload.encode(payload).finish();
  const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return {
    metadata: { encoding: utf8.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8.encode(id) },
    data: sealed,
  };
}

function decrypt(keyring: CodecKeyring, payload: Payload): Payload {
  const idBytes = payload.metadata?.[KEY_ID_METADATA];
  if (!idBytes) throw new PayloadDecryptionError(`encrypted payload has no ${KEY_ID_METADATA} metadata`);
  const id = text.decode(idBytes);
  const key = keyring.byId.get(id);
  if (!key) throw new PayloadDecryptionError(`no codec key with id "${id}" is configured (NPP_CODEC_KEYS)`);
  const sealed = Buffer.from(payload.data ?? new Uint8Array());
  if (sealed.length < IV_BYTES + TAG_BYTES)
    throw new PayloadDecryptionError(`encrypted payload (key "${id}") is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key.material, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(idBytes);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadDecryptionError(`encrypted payload (key "${id}") failed authentication: altered, or not this key`);
  }
  return ProtoPayload.decode(plain);
}

const isEncrypted = (payload: Payload) => {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && text.decode(encoding) === ENCRYPTED_ENCODING;
};

/**
 * Encrypts every payload with the keyring's current key; decrypts with the key each payload names.
 * Payloads written before encryption was enabled decode as they are.
 */
export function createAesGcmCodec(keyring: CodecKeyring): PayloadCodec {
  return {
    async encode(payloads) {
      return payloads.map((payload) => encrypt(keyring, payload));
    },
    async decode(payloads) {
      return payloads.map((payload) => (isEncrypted(payload) ? decrypt(keyring, payload) : payload));
    },
  };
}
