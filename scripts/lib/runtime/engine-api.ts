import { socketGet, type HttpAnswer } from '../http.js';

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

/** Set-up would not help here: the engine is there, but it (or this host) is too busy. */
export function engineOverloaded(timeoutMs: number): Error {
  return new Error(
    `docker engine did not answer within ${timeoutMs / 1000} s: the engine or this host is overloaded`,
  );
}

/**
 * One GET on the engine's socket: its answer, or undefined when the CLI should be asked instead
 * (another engine, no socket, a refused connection). An engine that takes the request and does
 * not answer in time is overloaded, and asking it again through the CLI would only wait twice.
 */
async function ask(path: string, timeoutMs: number): Promise<HttpAnswer | undefined> {
  const socket = engineSocket();
  if (!socket) return undefined;
  try {
    return await socketGet(socket, path, timeoutMs);
  } catch (err) {
    if (/no answer within/.test((err as Error).message)) throw engineOverloaded(timeoutMs);
    return undefined;
  }
}

/** Whether the engine answers its ping; false when the CLI should be asked. */
export async function ping(timeoutMs: number): Promise<boolean> {
  const answer = await ask('/_ping', timeoutMs);
  return answer?.status === 200 && answer.body === 'OK';
}

/** GET <path> as parsed JSON, or undefined when the CLI should be asked instead. */
export async function engineGet<T>(path: string, timeoutMs = 60_000): Promise<T | undefined> {
  const answer = await ask(path, timeoutMs);
  if (answer?.status !== 200) return undefined;
  try {
    return JSON.parse(answer.body) as T;
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
