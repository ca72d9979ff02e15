import { setTimeout as sleep } from 'node:timers/promises';
import { main } from './lib/task.js';

/** Greets `times` times, 200 ms apart: a small task that shows live output. */
await main(async (args) => {
  const name = args.name ?? 'world';
  const times = Number(args.times ?? 3);
  for (let i = 1; i <= times; i++) {
    if (i > 1) await sleep(200);
    process.stdout.write(`hello ${name} (${i}/${times})\n`);
  }
  return { greeted: name, times };
});
