import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { AgentContext } from '../context.js';
import { ApiError } from '../errors.js';
import { bearerAuth, principalOf } from './auth.js';
import { runsRouter } from './routes/runs.js';
import { tasksRouter } from './routes/tasks.js';
import { openApiDocument } from './openapi.js';

/** Maps body-parser failures and stray exceptions onto the error catalogue. */
function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const type = (err as { type?: string }).type;
  if (type === 'entity.too.large') return new ApiError('payload_too_large');
  if (type === 'entity.parse.failed') return new ApiError('bad_request', 'the body is not valid JSON');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return new ApiError('unsupported_media_type');
  return new ApiError('internal');
}

export function createApp(ctx: AgentContext): express.Express {
  const { config, logger, metrics } = ctx;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.server.trustProxy);
  app.use(helmet());
  if (config.server.cors) app.use(cors({ origin: [...config.server.cors.origins] }));
  if (config.log.requests) {
    app.use((req, res, next) => {
      const began = performance.now();
      res.on('finish', () =>
        logger.info('request', {
          method: req.method,
          path: req.originalUrl.split('?')[0],
          status: res.statusCode,
          ms: Math.round(performance.now() - began),
          sub: (res.locals.principal as { sub?: string } | undefined)?.sub,
        }),
      );
      next();
    });
  }

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  const auth = bearerAuth(ctx.verify);
  const metricsAuth = config.metrics.public
    ? (_req: Request, _res: Response, next: NextFunction) => next()
    : [
        auth,
        (_req: Request, res: Response, next: NextFunction) =>
          next(
            principalOf(res).scopes.has('metrics')
              ? undefined
              : new ApiError('forbidden', 'needs the metrics scope'),
          ),
      ];
  app.get('/metrics', metricsAuth, async (_req: Request, res: Response) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const v1 = express.Router();
  v1.use(auth);
  if (config.server.rateLimit) {
    v1.use(
      rateLimit({
        windowMs: 60_000,
        limit: config.server.rateLimit.perMinute,
        standardHeaders: 'draft-8',
        legacyHeaders: false,
        keyGenerator: (_req, res) => principalOf(res).sub,
        handler: (_req, _res, next) =>
          next(
            new ApiError('too_many_requests', 'rate limit reached for this token subject', {
              headers: { 'Retry-After': '60' },
            }),
          ),
      }),
    );
  }
  v1.use(express.json({ limit: config.server.bodyLimit, strict: true }));
  v1.use(runsRouter(ctx));
  v1.use(tasksRouter(ctx));
  app.use('/v1', v1);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new ApiError('not_found', `no route ${req.method} ${req.path}`));
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const apiError = toApiError(err);
    if (apiError.code === 'internal')
      logger.error('internal error', { error: (err as Error)?.stack ?? String(err) });
    metrics.refused.inc({ code: apiError.code });
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [k, v] of Object.entries(apiError.extra.headers ?? {})) res.setHeader(k, v);
    res.status(apiError.status).json(apiError.toBody());
  });
  return app;
}
