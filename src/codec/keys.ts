import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../cacheDir.ts';

// The AES-256 keys of the payload codec, from the environment, a key file, or a local dev key.

/** One AES-256 key and the id written next to every payload it encrypts. */
export interface CodecKey {
  id: string;
  /** 32 bytes. */
  material: Buffer;
}

/** Encrypt with `current`; decrypt with whichever key a payload names. */
export interface CodecKeyring {
  current: CodecKey;
  byId: ReadonlyMap<string, CodecKey>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_BYTES = 32;

/** Where the embedded default keeps its generated key, so a restart still decodes older runs. */
export const devKeyPath = (env: Record<string, string | undefined>) => join(cacheDir(env), 'codec-dev-key');

/**
 * Parses `id:base64key` entries separated by commas or new lines; the first is the current key.
 * Errors name the entry's position or id, never the key material.
 */
export function parseCodecKeys(spec: string, source = 'NPP_CODEC_KEYS'): CodecKeyring {
  const entries = spec
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('#'));
  if (entries.length === 0) throw new Error(`${source} holds no key`);
  const byId = new Map<string, CodecKey>();
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, Math.max(separator, 0));
    if (!KEY_ID.test(id)) {
      throw new Error(
        `${source} entry ${index + 1} must be "id:base64key" with an id of letters, digits, ".", "_" or "-"`,
      );
    }
    const material = Buffer.from(entry.slice(separator + 1), 'base64');
    if (material.length !== KEY_BYTES) {
      throw new Error(`${source} key "${id}" must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
    }
    if (byId.has(id)) throw new Error(`${source} names key "${id}" twice`);
    byId.set(id, { id, material });
  });
  const [current] = byId.values();
  return { current: current as CodecKey, byId };
}

export interface LoadCodecKeysOptions {
  /** Generate (once) and reuse a local key when none is configured. Default: unless NODE_ENV=production. */
  allowDevKey?: boolean;
  /** Where the dev key lives; default devKeyPath(env). */
  devKeyPath?: string;
}

/**
 * The keyring from NPP_CODEC_KEYS, else from the file NPP_CODEC_KEY_FILE names (same format), else
 * the local dev key. Without a configured key in production, startup fails: histories would
 * otherwise hold personal data in plaintext.
 */
export function loadCodecKeys(
  env: Record<string, string | undefined>,
  options: LoadCodecKeysOptions = {},
): CodecKeyring {
  const inline = env.NPP_CODEC_KEYS?.trim();
  if (inline) return parseCodecKeys(inline);
  const file = env.NPP_CODEC_KEY_FILE?.trim();
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `NPP_CODEC_KEY_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`,
      );
    }
    return parseCodecKeys(text, 'NPP_CODEC_KEY_FILE');
  }
  if (!(options.allowDevKey ?? env.NODE_ENV !== 'production')) {
    throw new Error(
      'NPP_CODEC_KEYS or NPP_CODEC_KEY_FILE is required in production: payloads (phone numbers) are encrypted with it',
    );
  }
  return devKeyring(options.devKeyPath ?? devKeyPath(env));
}

/** The local dev key, generated on first use and readable by this user only. */
function devKeyring(path: string): CodecKeyring {
  try {
    return parseCodecKeys(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const spec = `dev-${randomBytes(4).toString('hex')}:${randomBytes(KEY_BYTES).toString('base64')}\n`;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // 'wx': two processes starting at once must not each write their own key.
  try {
    writeFileSync(path, spec, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return parseCodecKeys(readFileSync(path, 'utf8'), path);
}
