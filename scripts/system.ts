import { main } from './lib/task.js';
import { hostFacts, formatFacts } from './lib/system.js';

/** Host facts for admins and monitoring, as a short table and as the result. */
await main(async () => {
  const facts = await hostFacts();
  process.stdout.write(formatFacts(facts));
  return facts;
});
