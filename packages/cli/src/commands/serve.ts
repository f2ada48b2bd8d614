// `mesatee serve <service>`: one service per process; `mesatee init`: prepare a distributed deployment.
import { resolve } from "node:path";
import type { Command } from "commander";
import {
  DISTRIBUTED_SERVICES,
  initDeployment,
  loadServiceConfig,
  startService,
  startStandaloneWorker,
  type DistributedService,
} from "@mesatee/platform";
import { reportRefusal } from "../refusals.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${value}`);
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

interface ServeFlags {
  config?: string;
  scheduler?: string;
  clientDir?: string;
  attestationDir?: string;
  slots: number;
  workDir: string;
  fusionDir?: string;
  fileRoot: string[];
  heartbeatMs: number;
}

async function untilSignal(): Promise<void> {
  await new Promise<void>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
}

export function registerServeCommand(program: Command): void {
  program
    .command("init")
    .description("prepare a distributed deployment: keys, signed policy and client files")
    .requiredOption("--config <file>", "the deployment's configuration (TOML)")
    .action(async (opts: { config: string }) => {
      const { clientDir } = await initDeployment(loadServiceConfig(opts.config));
      process.stdout.write(`deployment ready; clients verify with ${clientDir}\n`);
    });

  program
    .command("serve")
    .argument("<service>", `one of ${DISTRIBUTED_SERVICES.join(", ")}`)
    .description("run one service in this process")
    .option("--config <file>", "the deployment's configuration (TOML)")
    .option("--scheduler <url>", "execution without --config: the scheduler's internal endpoint")
    .option(
      "--client-dir <dir>",
      "execution without --config: the deployment's signed policy (<data-dir>/client)",
    )
    .option(
      "--attestation-dir <dir>",
      "execution without --config: the deployment's keys (<data-dir>/attestation)",
    )
    .option("--slots <n>", "execution without --config: tasks run at once", positiveInt, 2)
    .option("--work-dir <dir>", "execution without --config: per-task working directories", ".mesatee-worker")
    .option("--fusion-dir <dir>", "execution without --config: where fusion outputs are stored")
    .option(
      "--file-root <dir>",
      "execution without --config: a directory file: URLs may use (repeatable)",
      collect,
      [] as string[],
    )
    .option("--heartbeat-ms <ms>", "execution without --config: heartbeat period", positiveInt, 2000)
    .action(async (service: string, opts: ServeFlags) => {
      if (!(DISTRIBUTED_SERVICES as readonly string[]).includes(service))
        throw new Error(
          `unknown service ${JSON.stringify(service)}; expected one of ${DISTRIBUTED_SERVICES.join(", ")}`,
        );
      if (opts.config) {
        const running = await startService(service as DistributedService, loadServiceConfig(opts.config), {
          onPeerRefused: reportRefusal,
        });
        process.stdout.write(`${service} serving ${running.urls.join(" ") || "(no endpoint)"}\n`);
        await untilSignal();
        await running.close();
        return;
      }
      if (service !== "execution" || !opts.scheduler || !opts.clientDir || !opts.attestationDir)
        throw new Error(
          "give --config FILE (or, for execution, --scheduler, --client-dir and --attestation-dir)",
        );
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
        onError: (error) =>
          process.stderr.write(`worker: ${error instanceof Error ? error.message : String(error)}\n`),
      });
      process.stdout.write(
        `execution worker ${worker.worker.id} serving ${opts.scheduler} with ${opts.slots} slots\n`,
      );
      await untilSignal();
      await worker.stop();
    });
}
