#!/usr/bin/env node
import { ConfigError } from './config/load.js';
import { UsageError, type Command } from './cli/common.js';
import { run } from './cli/run.js';
import { runs } from './cli/runs.js';
import { serve } from './cli/serve.js';
import { tasks } from './cli/tasks.js';
import { token } from './cli/token.js';

const COMMANDS: Record<string, Command> = { serve, token, run, tasks, runs };

function help(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(7)} ${c.summary}\n          ${c.usage}`,
  );
  return `probe: an agent for one-click hosting\n\nUsage: probe <command> [options]\n\n${lines.join('\n')}\n\nEach command takes --help. The config is --config FILE, PROBE_CONFIG, or config/agent.yaml.\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command || !Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`probe: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(
      `probe ${name}: ${(err as Error).message}\n${usage ? `usage: ${command.usage}\n` : ''}`,
    );
    return err instanceof ConfigError ? 78 : usage ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
