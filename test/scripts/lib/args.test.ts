import { describe, expect, it } from 'vitest';
import { deployArgs, infoArgs, teardownArgs, tenantArgs } from '../../../scripts/lib/args.js';
import { EXIT, parseArgs, TaskError } from '../../../scripts/lib/task.js';

function usageError(fn: () => unknown): TaskError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).exitCode).toBe(EXIT.usage);
    return err as TaskError;
  }
  throw new Error('expected a usage error');
}

describe('task args', () => {
  it('parses deploy args the way the agent passes them', () => {
    const raw = parseArgs(['--id=acme', '--template=demo', '--restoreData=true']);
    expect(deployArgs(raw)).toEqual({ id: 'acme', template: 'demo', restoreData: true });
    expect(deployArgs({ id: 'acme', template: '', restoreData: 'false' })).toEqual({
      id: 'acme',
      template: undefined,
      restoreData: false,
    });
  });

  it('parses teardown, tenant and info args', () => {
    expect(teardownArgs({ id: 'acme', keepData: '1' })).toEqual({ id: 'acme', keepData: true });
    expect(teardownArgs({ id: 'acme' })).toEqual({ id: 'acme', keepData: false });
    expect(tenantArgs({ id: 'acme' })).toEqual({ id: 'acme' });
    expect(infoArgs({})).toEqual({ id: undefined });
    expect(infoArgs({ id: 'acme' })).toEqual({ id: 'acme' });
  });

  it('refuses a missing id, an unknown arg and a bad boolean, naming them', () => {
    expect(usageError(() => deployArgs({})).message).toMatch(/missing argument --id/);
    expect(usageError(() => tenantArgs({ id: 'a', force: 'true' })).message).toMatch(
      /unknown argument --force/,
    );
    expect(usageError(() => teardownArgs({ id: 'a', keepData: 'yes' })).message).toMatch(/"yes"/);
    expect(usageError(() => parseArgs(['acme'])).message).toMatch(/"acme"/);
  });
});
