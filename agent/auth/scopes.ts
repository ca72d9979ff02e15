/** What a token may do, from its `scope` claim (a space-separated string or an array). */
export class Scopes {
  private readonly set: ReadonlySet<string>;
  constructor(claim: unknown) {
    const list = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
    this.set = new Set(list.filter((s): s is string => typeof s === 'string' && s.length > 0));
  }
  /** A task name, or `*` for every task. */
  canRun(task: string): boolean {
    return this.set.has('*') || this.set.has(task);
  }
  has(scope: 'runs:read' | 'runs:cancel' | 'metrics'): boolean {
    return this.set.has(scope);
  }
  list(): string[] {
    return [...this.set];
  }
}
