import { createPrivateKey, createPublicKey, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, type AgentConfig } from '../config/load.js';

export const MIN_SECRET_BYTES = 32;
/** RFC 7518 3.2: an HMAC key at least as long as the hash. */
const HASH_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 };

export interface Keys {
  /** Verifies tokens: the HMAC secret or the public key. */
  verify: KeyObject;
  /** Signs tokens (probe token, demo): the HMAC secret or the private key, when this host has it. */
  sign?: KeyObject;
}

/** Reads the HS secret file, creating one (48 random bytes, mode 0600) when it is missing. */
function loadSecret(file: string, minBytes: number): KeyObject {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(48).toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
  }
  if (statSync(file).mode & 0o077) {
    throw new ConfigError(`auth.secretFile: ${file} must not be readable by group or others (chmod 600)`);
  }
  const bytes = readFileSync(file);
  const secret = bytes.subarray(0, bytes.at(-1) === 0x0a ? bytes.length - 1 : bytes.length);
  if (secret.length < minBytes) {
    throw new ConfigError(
      `auth.secretFile: ${file} holds ${secret.length} bytes; an HMAC secret needs at least ${minBytes}`,
    );
  }
  return createSecretKey(secret);
}

function readKey(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    throw new ConfigError(`${key}: cannot read ${file}`);
  }
}

export function loadKeys(auth: AgentConfig['auth']): Keys {
  if (auth.algorithms[0].startsWith('HS')) {
    const minBytes = Math.max(MIN_SECRET_BYTES, ...auth.algorithms.map((a) => HASH_BYTES[a] ?? 0));
    const secret = loadSecret(auth.secretFile!, minBytes);
    return { verify: secret, sign: secret };
  }
  const verify = createPublicKey(readKey(auth.publicKeyFile!, 'auth.publicKeyFile'));
  const sign = auth.privateKeyFile
    ? createPrivateKey(readKey(auth.privateKeyFile, 'auth.privateKeyFile'))
    : undefined;
  return { verify, sign };
}
