// A minimal Redis client speaking RESP over one TCP connection. Commands are
// pipelined in order; a broken connection fails the pending commands and the next
// command reconnects.
import net from 'node:net';

const CRLF = '\r\n';

export class RedisError extends Error {}

/** Encodes one command as a RESP array of bulk strings. */
export function encode(args) {
  let out = `*${args.length}${CRLF}`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}${CRLF}${s}${CRLF}`;
  }
  return out;
}

/**
 * Parses one reply starting at `pos`; returns { value, next } or undefined when
 * the buffer does not hold a whole reply yet. Server errors become RedisError values.
 */
export function parse(buf, pos = 0) {
  const eol = buf.indexOf(CRLF, pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new RedisError(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, next);
        if (!item) return undefined;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new RedisError(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

export class Redis {
  constructor({ host, port, timeoutMs = 2000 }) {
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    this.socket = null;
    this.pending = [];
    this.buf = Buffer.alloc(0);
  }

  /** Sends one command; resolves with its reply, rejects on a server error or timeout. */
  command(...args) {
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject };
      entry.timer = setTimeout(
        () => this.reset(new Error(`redis did not answer ${args[0]} in time`)),
        this.timeoutMs,
      );
      this.pending.push(entry);
      this.connection().write(encode(args));
    });
  }

  connection() {
    if (this.socket) return this.socket;
    const socket = net.createConnection({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    const where = `redis at ${this.host}:${this.port}`;
    // Events of a socket we already dropped must not touch its replacement.
    const current = () => this.socket === socket;
    socket.on('data', (chunk) => current() && this.onData(chunk));
    socket.on('error', (err) => current() && this.reset(new Error(`${where}: ${err.message}`)));
    socket.on('close', () => current() && this.reset(new Error(`${where} closed the connection`)));
    this.socket = socket;
    return socket;
  }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let pos = 0;
    try {
      for (let reply = parse(this.buf, pos); reply; reply = parse(this.buf, pos)) {
        pos = reply.next;
        this.settle(reply.value);
      }
    } catch (err) {
      this.reset(err);
      return;
    }
    this.buf = this.buf.subarray(pos);
  }

  settle(value) {
    const entry = this.pending.shift();
    if (!entry) return;
    clearTimeout(entry.timer);
    if (value instanceof RedisError) entry.reject(value);
    else entry.resolve(value);
  }

  /** Drops the connection (replies would be out of step) and fails what was waiting. */
  reset(err) {
    if (this.socket) this.socket.destroy();
    this.socket = null;
    this.buf = Buffer.alloc(0);
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
  }

  close() {
    this.reset(new Error('client closed'));
  }
}
