import { socketGet } from '../http.js';

/**
 * The Docker engine's HTTP API on its unix socket, for the read-only calls a task makes often
 * (ping, listings): a few milliseconds each, where the docker CLI costs a process start. Used
 * only where the CLI would talk to that same socket; callers fall back to the CLI otherwise,
 * and whenever a call fails, so that errors keep the CLI's wording.
 */

/** The socket the docker CLI would use, or undefined when it would use something else. */
export function engineSocket(): string | undefined {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://') || process.env.DOCKER_CONTEXT) return undefined;
  return host.slice('unix://'.length);
}

export type Ping = 'ok' | 'timeout' | 'unknown';

/** `timeout` when the engine took the request and did not answer in time. */
export async function ping(timeoutMs: number): Promise<Ping> {
  const socket = engineSocket();
  if (!socket) return 'unknown';
  try {
    const answer = await socketGet(socket, '/_ping', timeoutMs);
    return answer.status === 200 && answer.body === 'OK' ? 'ok' : 'unknown';
  } catch (err) {
    return /no answer within/.test((err as Error).message) ? 'timeout' : 'unknown';
  }
}

/** GET <path> as parsed JSON, or undefined when the CLI should be asked instead. */
export async function engineGet<T>(path: string, timeoutMs = 60_000): Promise<T | undefined> {
  const socket = engineSocket();
  if (!socket) return undefined;
  try {
    const answer = await socketGet(socket, path, timeoutMs);
    return answer.status === 200 ? (JSON.parse(answer.body) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** GET <path>?filters=<json>, as engineGet. */
export function listing<T>(
  path: string,
  filters: Record<string, string[]>,
  timeoutMs = 60_000,
): Promise<T | undefined> {
  const query = `filters=${encodeURIComponent(JSON.stringify(filters))}`;
  return engineGet<T>(`${path}${path.includes('?') ? '&' : '?'}${query}`, timeoutMs);
}

/** What the engine says of a container in a listing (the fields we read). */
export interface ApiContainer {
  Id: string;
  Names: string[];
  State: string;
  Status: string;
  Labels: Record<string, string> | null;
}
