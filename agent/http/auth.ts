import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../auth/token.js';
import { ApiError } from '../errors.js';

const CHALLENGE = 'Bearer realm="probe"';

/** Requires `Authorization: Bearer <JWT>` and puts the principal in res.locals. */
export function bearerAuth(verify: (token: string) => Principal) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const m = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    if (!m) {
      return next(
        new ApiError('unauthorized', 'a bearer token is required', {
          headers: { 'WWW-Authenticate': CHALLENGE },
        }),
      );
    }
    try {
      res.locals.principal = verify(m[1]);
    } catch (err) {
      return next(
        new ApiError('unauthorized', `invalid token: ${(err as Error).message}`, {
          headers: { 'WWW-Authenticate': `${CHALLENGE}, error="invalid_token"` },
        }),
      );
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
