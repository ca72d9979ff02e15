import type { Log } from '../task.js';
import type { InfoResult } from './info.js';

/** Prints the info result as a human table, with drift and logs below it. */
export function printTable(result: InfoResult, log: Log): void {
  if (result.engine !== 'ok') log(`warning: containers unknown: ${result.engine}`);
  const cluster = result.nodes.length > 0;
  const header = [
    'ID',
    'STATUS',
    'TEMPLATE',
    'APP',
    'DB',
    'URL',
    ...(cluster ? ['NODE'] : []),
    'CONTAINERS',
    'CREATED',
  ];
  const rows = result.tenants.map((t) => [
    t.id,
    t.status,
    t.template,
    String(t.ports.app),
    String(t.ports.db),
    t.url ?? '-',
    ...(cluster ? [`${t.node ?? '-'}${t.nodeDown ? ' (node-down)' : ''}`] : []),
    t.containers.map((c) => `${c.service}:${c.state}`).join(' ') || '-',
    t.createdAt.slice(0, 19).replace('T', ' '),
  ]);
  if (rows.length) table([header, ...rows], log);
  else log('no tenants');
  for (const n of result.nodes) {
    log(
      `node ${n.name} ${n.address}: ${n.up ? 'up' : 'DOWN'} (${n.state}, ${n.availability}, engine ${n.engine})`,
    );
  }
  for (const m of result.moved)
    log(`moved: ${m.id} now served from ${m.node ?? '?'} (${m.from ?? '-'} -> ${m.to})`);
  for (const t of result.tenants) {
    if (t.nodeDown) log(`node-down: ${t.id} is on ${t.node}, which is down`);
    if (t.missing.length) log(`drift: ${t.id} has no container for ${t.missing.join(', ')}`);
    for (const c of t.containers) {
      if (c.state !== 'running') log(`drift: ${t.id} container ${c.name} is ${c.status}`);
    }
  }
  for (const o of result.orphans) {
    log(
      `drift: orphan containers of ${o.id} (no registry entry): ${o.containers.map((c) => c.name).join(', ')}`,
    );
  }
  for (const k of result.kept)
    log(`kept data: ${k.id} (template ${k.template}, key ${k.dataKey}, kept ${k.keptAt})`);
  for (const c of [...result.tenants, ...result.orphans].flatMap((t) => t.containers)) {
    if (!c.logs) continue;
    log(`--- logs of ${c.name} (last ${c.logs.length} lines)`);
    for (const line of c.logs) log(`    ${line}`);
  }
}

function table(cells: string[][], log: Log): void {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  for (const r of cells)
    log(
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    );
}
