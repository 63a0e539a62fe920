import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { createAesGcmCodec } from '../codec/aesGcmCodec.ts';
import { type CodecKeyring, type LoadCodecKeysOptions, loadCodecKeys } from '../codec/keys.ts';

// The one data converter of every Temporal client and worker of this app (worker, app client,
// webhook, CLI): payloads and failure messages are encrypted before they reach Temporal.

/** Pass to bundleWorkflowCode({ failureConverterPath }) when bundling ahead of time. */
export const FAILURE_CONVERTER_PATH = fileURLToPath(
  // .ts when run from the sources, .js from the compiled package.
  new URL(`./failureConverter${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
);

export interface AppDataConverter {
  dataConverter: DataConverter;
  /** The same codec, for the codec server. */
  codec: PayloadCodec;
}

export function createDataConverter(keyring: CodecKeyring): AppDataConverter {
  const codec = createAesGcmCodec(keyring);
  return { dataConverter: { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH }, codec };
}

/** The data converter keyed from the environment (NPP_CODEC_KEYS / NPP_CODEC_KEY_FILE, see codec/keys.ts). */
export function dataConverterFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: LoadCodecKeysOptions = {},
): AppDataConverter {
  return createDataConverter(loadCodecKeys(env, options));
}
