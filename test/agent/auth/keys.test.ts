import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeys } from '../../../agent/auth/keys.js';
import { loadConfig } from '../../../agent/config/load.js';
import { writeConfig } from '../../helpers/agent.js';

describe('loadKeys', () => {
  it('creates a missing HS secret with mode 0600 in a 0700 folder', () => {
    const { dir, file } = writeConfig();
    loadKeys(loadConfig(file).auth);
    expect(statSync(join(dir, 'state/jwt.secret')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state')).mode & 0o777).toBe(0o700);
  });

  it('refuses a secret shorter than 32 bytes', () => {
    const { dir, file } = writeConfig({ auth: { algorithms: ['HS256'], secretFile: './short.secret' } });
    writeFileSync(join(dir, 'short.secret'), 'too-short\n', { mode: 0o600 });
    expect(() => loadKeys(loadConfig(file).auth)).toThrow(/holds 9 bytes; an HMAC secret needs at least 32/);
  });

  it('refuses a secret readable by others', () => {
    const { dir, file } = writeConfig({ auth: { algorithms: ['HS256'], secretFile: './open.secret' } });
    writeFileSync(join(dir, 'open.secret'), 'x'.repeat(40), { mode: 0o644 });
    expect(() => loadKeys(loadConfig(file).auth)).toThrow(/must not be readable by group or others/);
  });
});
