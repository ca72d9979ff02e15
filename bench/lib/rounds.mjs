// Alternating rounds: every round measures each target once, in a rotated order, so a
// noisy moment on a shared machine is spread over all targets instead of hitting one.

/** Numbers from the environment, for shorter runs while developing (BENCH_ROUNDS=1). */
export function knob(name, fallback) {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number(v);
}

/**
 * Calls measure(target, round) rounds × targets times; returns samples per target name.
 * With budgetMs, stops after the first whole round that ends past the budget (at least 3
 * rounds), so that a loaded machine makes the benchmark shorter, not longer.
 * @template T
 * @param {{ name: string }[]} targets
 * @param {number} rounds
 * @param {(target: any, round: number) => Promise<T>} measure
 * @param {number} [budgetMs]
 * @returns {Promise<Map<string, T[]>>}
 */
export async function alternate(targets, rounds, measure, budgetMs = Infinity) {
  const out = new Map(targets.map((t) => [t.name, []]));
  const began = performance.now();
  for (let r = 0; r < rounds; r++) {
    if (r >= 3 && performance.now() - began > budgetMs) break;
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + r) % targets.length];
      out.get(t.name).push(await measure(t, r));
    }
  }
  return out;
}

/** Runs fn over items, `width` at a time; the results in the items' order. */
export async function pool(items, width, fn) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}
