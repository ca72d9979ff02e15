import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TENANT_ID_PATTERN, tenantIdProblem } from '../../../scripts/lib/tenant.js';

describe('tenantIdProblem', () => {
  it('accepts ordinary ids', () => {
    for (const id of ['acme', 'a1', 'shop-42', 'x'.repeat(32)]) expect(tenantIdProblem(id)).toBeUndefined();
  });

  it('refuses bad shapes, naming the value', () => {
    for (const id of [
      'a',
      'Acme',
      '1shop',
      'shop-',
      '-shop',
      'sh_op',
      'sh.op',
      'x'.repeat(33),
      'a/b',
      '../etc',
    ]) {
      expect(tenantIdProblem(id)).toContain(JSON.stringify(id));
    }
  });

  it('refuses a double hyphen, an empty id and reserved names', () => {
    expect(tenantIdProblem('a--b')).toMatch(/"--" is not allowed/);
    expect(tenantIdProblem('')).toMatch(/required/);
    expect(tenantIdProblem(undefined)).toMatch(/required/);
    expect(tenantIdProblem('www', ['www'])).toMatch(/reserved/);
  });

  it('never accepts anything unsafe for a path, a project name or a server_name', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (id) => {
        if (tenantIdProblem(id) !== undefined) return;
        expect(id).toMatch(/^[a-z0-9-]{2,32}$/);
        expect(id).not.toContain('--');
        expect(id.startsWith('-') || id.endsWith('-')).toBe(false);
      }),
    );
  });

  it('accepts every id the pattern generates unless it holds "--"', () => {
    fc.assert(
      fc.property(fc.stringMatching(TENANT_ID_PATTERN), (id) => {
        expect(tenantIdProblem(id) === undefined).toBe(!id.includes('--'));
      }),
    );
  });
});
