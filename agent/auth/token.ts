import jwt from 'jsonwebtoken';
import type { AgentConfig } from '../config/load.js';
import type { Keys } from './keys.js';
import { Scopes } from './scopes.js';

export interface Principal {
  sub: string;
  scopes: Scopes;
}

export class TokenError extends Error {}

/**
 * Verifies a bearer token as RFC 8725 asks: only the pinned algorithms, `exp`
 * required, `iss`/`aud` when configured, a lifetime within maxTtl, and a `kid`
 * only when one is configured (and then it must match).
 */
export function makeVerifier(auth: AgentConfig['auth'], keys: Keys): (token: string) => Principal {
  const options: jwt.VerifyOptions & { complete: true } = {
    algorithms: [...auth.algorithms],
    issuer: auth.issuer,
    audience: auth.audience,
    complete: true,
    clockTolerance: 5,
  };
  const maxTtlSec = auth.maxTtl / 1000;
  return (token) => {
    if (token.length > 8192) throw new TokenError('token too large');
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, keys.verify, options);
    } catch (err) {
      throw new TokenError((err as Error).message);
    }
    const { header } = decoded;
    if ((header.kid ?? undefined) !== auth.keyId) {
      throw new TokenError(auth.keyId ? 'wrong key id' : 'unexpected key id');
    }
    const claims = decoded.payload as jwt.JwtPayload;
    if (typeof claims.exp !== 'number') throw new TokenError('exp claim required');
    const now = Date.now() / 1000;
    // An iat in the future must not stretch the lifetime past maxTtl.
    const from = typeof claims.iat === 'number' ? Math.min(claims.iat, now) : now;
    if (claims.exp - from > maxTtlSec + 5) throw new TokenError('token lifetime exceeds maxTtl');
    if (typeof claims.sub !== 'string' || !claims.sub) throw new TokenError('sub claim required');
    return { sub: claims.sub, scopes: new Scopes(claims.scope) };
  };
}

/** Mints a token (probe token, the demo, tests); never longer than maxTtl. */
export function signToken(
  auth: AgentConfig['auth'],
  keys: Keys,
  claims: { sub: string; scope: string | string[]; ttlMs?: number },
): string {
  if (!keys.sign) throw new TokenError('this host has no signing key (auth.privateKeyFile is not set)');
  const ttlMs = Math.min(claims.ttlMs ?? auth.maxTtl, auth.maxTtl);
  return jwt.sign({ scope: claims.scope }, keys.sign, {
    algorithm: auth.algorithms[0],
    subject: claims.sub,
    expiresIn: Math.max(1, Math.floor(ttlMs / 1000)),
    ...definedOnly({ issuer: auth.issuer, audience: auth.audience, keyid: auth.keyId }),
  });
}

/** jsonwebtoken refuses options that are present but undefined. */
export function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
