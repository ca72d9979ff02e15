// The floor for trigger throughput: Node's own http server that spawns the command per
// request, as the agent does (no shell, own process group, the clean environment), and
// answers with its output. No framework, no auth, no records, no logs.
// Usage: node bench/servers/bare.mjs PORT COMMAND [ARGS...]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';

const [port, command, ...args] = process.argv.slice(2);
const env = {};
for (const k of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[k]) env[k] = process.env[k];

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.resume();
    child.on('error', (err) => res.writeHead(500).end(err.message));
    child.on('close', () => {
      if (res.headersSent) return;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(Buffer.concat(chunks));
    });
  });
});
server.listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
