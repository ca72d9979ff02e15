/**
 * The spawner's program: plain JavaScript that `node -e` runs in a small helper process.
 * On each `spawn` message it starts the task as the agent used to (no shell, its own
 * process group, the given environment) and relays the pid, the raw output, the end of
 * each stream and the exit over its IPC channel. After the exit it waits up to drainMs
 * for the pipes to close, as a left-behind grandchild may hold them, then ends the group.
 * It ignores terminal and stop signals (the agent stops the tasks itself) and leaves
 * when the agent does, that is when the channel closes.
 */
export const SPAWNER_PROGRAM = String.raw`
'use strict';
process.title = 'probe-spawner';
const { spawn } = require('node:child_process');
const drainMs = Number(process.argv[1]);
const send = (m) => process.connected && process.send(m);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
process.on('disconnect', () => process.exit(0));

function start(id, command, env) {
  let child;
  try {
    child = spawn(command[0], command.slice(1), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    return send({ t: 'error', id, error: err.message });
  }
  let over = false;
  const close = () => {
    if (over) return;
    over = true;
    send({ t: 'close', id });
  };
  child.on('error', (err) => {
    if (over) return;
    over = true;
    send({ t: 'error', id, error: err.message });
  });
  if (child.pid === undefined) return; // the error event follows
  send({ t: 'pid', id, pid: child.pid });
  for (const [s, stream] of [[1, child.stdout], [2, child.stderr]]) {
    // latin1 carries the bytes as they are; the agent splits them into UTF-8 lines
    stream.on('data', (chunk) => send({ t: 'out', id, s, c: chunk.toString('latin1') }));
    stream.on('end', () => send({ t: 'end', id, s }));
  }
  child.on('exit', (code, signal) => {
    if (over) return;
    send({ t: 'exit', id, code, signal });
    const drain = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      child.stdout.destroy();
      child.stderr.destroy();
      close();
    }, drainMs);
    child.on('close', () => {
      clearTimeout(drain);
      // whatever the task left running in its group (a docker-compose it started) ends with it
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      close();
    });
  });
}

process.on('message', (m) => {
  if (m && m.t === 'spawn') start(m.id, m.command, m.env);
});
`;
