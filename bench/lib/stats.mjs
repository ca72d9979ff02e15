// Order statistics over samples.

/** The q-quantile (0..1) by nearest rank. */
export function quantile(samples, q) {
  if (!samples.length) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export const median = (samples) => quantile(samples, 0.5);

export const sum = (samples) => samples.reduce((a, b) => a + b, 0);

/** Rounds for display: 2 decimals under 10, 1 under 100, none above. */
export function fmt(n) {
  if (n === undefined || Number.isNaN(n)) return '-';
  const a = Math.abs(n);
  return n.toFixed(a < 10 ? 2 : a < 100 ? 1 : 0);
}

/** "0.93 (≥ 0.9 yes)": a ratio and whether it meets its target. */
export function verdict(ratio, target, atLeast) {
  const ok = atLeast ? ratio >= target : ratio <= target;
  return `${ratio.toFixed(2)} (${atLeast ? '≥' : '≤'} ${target} ${ok ? 'yes' : 'NO'})`;
}
