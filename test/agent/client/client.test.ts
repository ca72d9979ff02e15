import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, ProbeError, RunFailedError, type OutputEvent } from '../../../agent/client/index.js';
import { startTestAgent, type TestAgent } from '../../helpers/agent.js';

let agent: TestAgent;
beforeAll(async () => {
  agent = await startTestAgent();
});
afterAll(() => agent.stop());

/** A loopback proxy that cuts the first connection whose answer contains `marker`. */
async function cuttingProxy(target: string, marker: string) {
  const { port } = new URL(target);
  let cut = 0;
  const server = net.createServer((down) => {
    const up = net.connect(Number(port), '127.0.0.1');
    down.pipe(up);
    up.on('data', (chunk: Buffer) => {
      if (!cut && chunk.toString().includes(marker)) {
        cut++;
        down.write(chunk.subarray(0, chunk.indexOf(marker) + 5)); // half a line, then gone
        down.destroy();
        up.destroy();
        return;
      }
      down.write(chunk);
    });
    up.on('error', () => down.destroy());
    down.on('error', () => up.destroy());
    up.on('end', () => down.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cuts: () => cut,
    close: () => server.close(),
  };
}

describe('client', () => {
  it('streams a run and returns its end and result', async () => {
    const client = createClient({ url: agent.url, token: agent.token('*') });
    const lines: OutputEvent[] = [];
    const outcome = await client.run('slow', { lines: 3, every: 20 }, { onOutput: (e) => lines.push(e) });
    expect(lines.map((l) => l.text.replace(/ at \d+/, ''))).toEqual(['line 1', 'line 2', 'line 3']);
    expect(outcome.end).toMatchObject({ type: 'end', status: 'succeeded', exitCode: 0 });
    expect(outcome.result).toEqual({ lines: 3 });
  });

  it('throws typed errors carrying the API code', async () => {
    const client = createClient({ url: agent.url, token: agent.token('echo') });
    const err = await client.run('echo', { nope: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeError);
    expect(err).toMatchObject({ code: 'bad_request', status: 400 });
    const forbidden = await client.run('slow').catch((e: unknown) => e);
    expect(forbidden).toMatchObject({ code: 'forbidden', status: 403 });
    const failed = await client.run('echo', { code: 4 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(RunFailedError);
    expect((failed as RunFailedError).outcome.end.exitCode).toBe(4);
  });

  it('re-attaches after a forced disconnect and loses no line', async () => {
    const proxy = await cuttingProxy(agent.url, '"text":"line 3 at');
    try {
      const client = createClient({ url: proxy.url, signer: () => agent.token('*') });
      const seqs: number[] = [];
      const texts: string[] = [];
      const outcome = await client.run(
        'slow',
        { lines: 8, every: 60 },
        {
          onOutput: (e) => {
            seqs.push(e.seq);
            texts.push(e.text.replace(/ at \d+/, ''));
          },
        },
      );
      expect(proxy.cuts()).toBe(1);
      expect(texts).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((i) => `line ${i}`));
      expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(outcome.result).toEqual({ lines: 8 });
    } finally {
      proxy.close();
    }
  });

  it('reads runs and replays events after a seq', async () => {
    const client = createClient({ url: agent.url, token: agent.token('* runs:read') });
    const { id } = await client.run('slow', { lines: 2, every: 10 });
    expect((await client.runs.get(id)).status).toBe('succeeded');
    const types: string[] = [];
    for await (const e of client.runs.events(id, { after: 1 })) types.push(`${e.seq}:${e.type}`);
    expect(types).toEqual(['2:output', '3:result', '4:end']);
    expect((await client.runs.list({ task: 'slow', limit: 1 }))[0].id).toBe(id);
  });
});
