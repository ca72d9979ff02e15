import { createPrivateKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface KeySignerOptions {
  /** PEM private key (asymmetric mode: the shop keeps it, the agent only has the public key). */
  privateKey: string | Buffer | KeyObject;
  algorithm?: 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512' | 'PS256';
  subject: string;
  scope: string | string[];
  issuer?: string;
  audience?: string;
  keyId?: string;
  /** Token lifetime in seconds (default 60). */
  ttlSeconds?: number;
}

/** Returns a signer that mints a fresh short-lived token for every call. */
export function createKeySigner(options: KeySignerOptions): () => string {
  const key =
    options.privateKey instanceof KeyObject ? options.privateKey : createPrivateKey(options.privateKey);
  return () =>
    jwt.sign({ scope: options.scope }, key, {
      algorithm: options.algorithm ?? 'RS256',
      subject: options.subject,
      expiresIn: options.ttlSeconds ?? 60,
      ...Object.fromEntries(
        Object.entries({ issuer: options.issuer, audience: options.audience, keyid: options.keyId }).filter(
          ([, v]) => v !== undefined,
        ),
      ),
    });
}
