// Helpers shared by the executor benchmarks (bench/executors-*.js).
import { execFile } from "node:child_process";
import { promisify } from "node:util";

export const run = promisify(execFile);

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

export function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : fallback;
}

export const ms = (x) => `${x.toFixed(x < 10 ? 1 : 0)} ms`;

/** A Markdown table from a header and rows (arrays of cells). */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

export async function machine() {
  const { cpus, loadavg } = await import("node:os");
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpus().length} × ${cpu}; Node ${process.version}; load average ${loadavg()[0].toFixed(1)} at the start`;
}
