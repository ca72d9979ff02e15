import { describe, expect, it } from 'vitest';
import { formatFacts, hostFacts } from '../../../scripts/lib/system.js';
import { fakeEngine, withoutDockerCli } from '../../helpers/engine.js';

describe('hostFacts', () => {
  const t = withoutDockerCli();

  it("asks the engine's socket for its version", async () => {
    const engine = await fakeEngine(t.dir, 200, (url) =>
      url.pathname === '/version' ? { Version: '99.1.0' } : {},
    );
    process.env.DOCKER_HOST = `unix://${engine.socket}`;
    const facts = await hostFacts();
    expect(facts.docker).toEqual({ reachable: true, version: '99.1.0' });
    expect(formatFacts(facts)).toMatch(/docker\s+engine 99\.1\.0/);
    expect(engine.seen).toEqual(['/version']);
    await engine.close();
  });

  it('says why the engine is unreachable when neither the socket nor the CLI answers', async () => {
    process.env.DOCKER_HOST = `unix://${t.dir}/none.sock`;
    const facts = await hostFacts();
    expect(facts.docker.reachable).toBe(false);
    expect(facts.docker.error).toMatch(/ENOENT/);
    expect(formatFacts(facts)).toMatch(/docker\s+unreachable \(/);
  });
});
