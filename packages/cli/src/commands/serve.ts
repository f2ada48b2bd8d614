// `mesatee serve <service>`: one service per process.
import { resolve } from "node:path";
import type { Command } from "commander";
import { startStandaloneWorker } from "@mesatee/platform";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${value}`);
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerServeCommand(program: Command): void {
  const serve = program.command("serve").description("run one service in this process");
  serve
    .command("execution")
    .description("run an execution worker that takes tasks from a scheduler")
    .requiredOption("--scheduler <url>", "the scheduler's internal endpoint, e.g. https://127.0.0.1:17780")
    .requiredOption("--client-dir <dir>", "the deployment's signed policy (the platform's <data-dir>/client)")
    .requiredOption("--attestation-dir <dir>", "the deployment's keys (the platform's <data-dir>/attestation)")
    .option("--slots <n>", "tasks run at once", positiveInt, 2)
    .option("--work-dir <dir>", "per-task working directories (ciphertext only)", ".mesatee-worker")
    .option("--fusion-dir <dir>", "where fusion outputs are stored (shared with the platform)")
    .option("--file-root <dir>", "a directory file: URLs may use (repeatable)", collect, [] as string[])
    .option("--heartbeat-ms <ms>", "heartbeat period", positiveInt, 2000)
    .action(
      async (opts: {
        scheduler: string;
        clientDir: string;
        attestationDir: string;
        slots: number;
        workDir: string;
        fusionDir?: string;
        fileRoot: string[];
        heartbeatMs: number;
      }) => {
        const worker = await startStandaloneWorker({
          schedulerUrl: opts.scheduler,
          clientDir: resolve(opts.clientDir),
          attestationDir: resolve(opts.attestationDir),
          workDir: resolve(opts.workDir),
          fileAgent: {
            fileRoots: opts.fileRoot.map((d) => resolve(d)),
            ...(opts.fusionDir ? { fusionDir: resolve(opts.fusionDir) } : {}),
          },
          worker: { slots: opts.slots, heartbeatMs: opts.heartbeatMs },
          onError: (error) => process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`),
        });
        process.stdout.write(`execution worker ${worker.worker.id} serving ${opts.scheduler} with ${opts.slots} slots\n`);
        await new Promise<void>((done) => {
          process.once("SIGINT", done);
          process.once("SIGTERM", done);
        });
        await worker.stop();
      },
    );
}
