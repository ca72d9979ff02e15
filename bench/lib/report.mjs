// Tables for the terminal and for docs/benchmarks.md, the machine description, and the
// writer that replaces one benchmark's section of docs/benchmarks.md, leaving the others.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './agent.mjs';

export const DOC = join(ROOT, 'docs/benchmarks.md');

/** The order of the sections in the document. */
export const SECTIONS = ['throughput', 'start', 'latency', 'provision', 'scale', 'swarm'];

const HEADER = `# Benchmarks

\`npm run bench\` runs every benchmark, prints its tables and rewrites its own section below;
\`node bench/run.mjs throughput latency\` runs a subset and leaves the other sections as they were.
Each benchmark loads loopback servers only, is bounded in time and request count, and stops by itself.
It needs \`wrk\` and \`webhook\` (\`apt-get install -y wrk webhook\`) and a build (\`npm run build\`);
\`provision\`, \`scale\` and \`swarm\` also need root and \`npm run setup-host\` (dockerd, nginx, the demo images),
and \`scale\` runs about ten minutes (200 real tenants).

The machines these run on are shared and noisy, so absolute figures move from run to run. Every
figure that carries a target is therefore a **ratio** against a peer or a floor measured in the
same run, in alternating rounds, so that a slow moment hurts both sides alike.
`;

/** nproc, memory, CPU model, kernel, Node, load: what the figures depend on. */
export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return [
    `${os.availableParallelism()} CPUs (${cpu})`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB memory`,
    `Linux ${os.release()}`,
    `Node ${process.version}`,
    `load average at start ${load}`,
  ].join(', ');
}

/** The version line of a tool, for the record. */
export function toolVersion(command, args) {
  let out;
  try {
    out = execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    out = String(err.stdout ?? ''); // `wrk --version` exits 1
  }
  return out.split('\n')[0].trim() || `${command} (unknown version)`;
}

/**
 * Quotes an argv for a POSIX shell, for the documented command lines: this Node is `node`,
 * paths in the repository are relative to its root and temp folders are $TMP.
 */
export function shellLine(argv) {
  return argv
    .map((a) => (a === process.execPath ? 'node' : a))
    .map((a) => a.split(`${ROOT}/`).join('').split(tmpdir()).join('$TMP'))
    .map((a) => (/^[\w@%+=:,./$-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`))
    .join(' ');
}

/** A table as aligned text for the terminal. */
export function textTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => String(c).padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A table as GitHub markdown. */
export function mdTable(head, rows) {
  const line = (cells) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

const start = (name) => `<!-- bench:${name} -->`;
const end = (name) => `<!-- /bench:${name} -->`;

/** Replaces (or adds, in SECTIONS order; others at the end) the section of one benchmark in docs/benchmarks.md. */
export function writeSection(name, markdown) {
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEADER;
  const block = `${start(name)}\n${markdown.trim()}\n${end(name)}`;
  const at = doc.indexOf(start(name));
  const to = doc.indexOf(end(name));
  if (at !== -1 && to > at) {
    doc = doc.slice(0, at) + block + doc.slice(to + end(name).length);
  } else {
    // before the first later section that is present, else at the end
    const known = SECTIONS.indexOf(name);
    const later = (known === -1 ? [] : SECTIONS.slice(known + 1))
      .map((n) => doc.indexOf(start(n)))
      .filter((i) => i !== -1);
    const pos = later.length ? Math.min(...later) : doc.length;
    const before = doc.slice(0, pos).replace(/\n*$/, '\n\n');
    const after = doc.slice(pos);
    doc = before + block + (after ? `\n\n${after}` : '\n');
  }
  writeFileSync(DOC, doc.endsWith('\n') ? doc : `${doc}\n`);
}
