// Summaries and formatting shared by the execution benchmarks.

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Count, rate over `seconds`, p50 and p99 of latency samples (ms). */
export function summarize(samples, seconds) {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    perSecond: seconds > 0 ? sorted.length / seconds : NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

export function median(values) {
  return percentile(Float64Array.from(values).sort(), 50);
}

export const fixed = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : "-");
export const ratio = (a, b) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "-";

/** A Markdown table from a header row and body rows (arrays of cells); `right` = right-aligned columns. */
export function markdownTable(header, rows, right = new Set()) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  const rule = header.map((_, i) => (right.has(i) ? "---:" : "---"));
  return [line(header), line(rule), ...rows.map(line)].join("\n");
}
