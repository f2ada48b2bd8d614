// `mesatee up`: runs the whole platform in one process.
import type { Command } from "commander";
import {
  ADMIN_ID,
  defaultConfig,
  DEFAULT_AUTH_PORT,
  DEFAULT_FRONTEND_PORT,
  DEFAULT_SCHEDULER_PORT,
  databaseSettings,
  loadServiceConfig,
  redactDatabaseUrl,
  startPlatform,
  withLimits,
} from "@mesatee/platform";
import { reportRefusal } from "../refusals.js";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`invalid port ${value}`);
  return n;
}

export function registerUpCommand(program: Command): void {
  program
    .command("up")
    .description("run the whole platform in one process (every service and an execution worker)")
    .option(
      "--config <file>",
      "the deployment's configuration (TOML): its data_dir, database_url and [limits] apply; service sections are for `serve`",
    )
    .option(
      "--data-dir <dir>",
      "where state is kept (default: the config's, $MESATEE_DATA_DIR or ./.mesatee)",
    )
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--auth-port <port>", "authentication API port", port, DEFAULT_AUTH_PORT)
    .option("--frontend-port <port>", "frontend API port", port, DEFAULT_FRONTEND_PORT)
    .option(
      "--scheduler-port <port>",
      "internal scheduler port for execution workers",
      port,
      DEFAULT_SCHEDULER_PORT,
    )
    .option("--no-worker", "do not run an execution worker in this process")
    .option(
      "--admin-password <password>",
      "password of the bootstrap admin on first start (default $MESATEE_ADMIN_PASSWORD or random)",
    )
    .action(
      async (opts: {
        config?: string;
        dataDir?: string;
        host: string;
        authPort: number;
        frontendPort: number;
        schedulerPort: number;
        worker: boolean;
        adminPassword?: string;
      }) => {
        const file = opts.config ? loadServiceConfig(opts.config) : undefined;
        const dataDir = opts.dataDir ?? file?.data_dir ?? process.env.MESATEE_DATA_DIR ?? ".mesatee";
        const base = defaultConfig({
          dataDir,
          host: opts.host,
          authPort: opts.authPort,
          frontendPort: opts.frontendPort,
          schedulerPort: opts.schedulerPort,
          inProcessWorker: opts.worker,
          onPeerRefused: reportRefusal,
          adminPassword: opts.adminPassword ?? process.env.MESATEE_ADMIN_PASSWORD,
          ...(file ? databaseSettings(file) : {}),
        });
        const platform = await startPlatform(withLimits(base, file?.limits, opts.config));
        const out = process.stdout;
        out.write(`MesaTEE is running (data in ${dataDir})\n`);
        if (base.databaseUrl) out.write(`  store               ${redactDatabaseUrl(base.databaseUrl)}\n`);
        out.write(`  authentication API  ${platform.authenticationUrl}\n`);
        out.write(`  frontend API        ${platform.frontendUrl}\n`);
        out.write(`  scheduler (workers) ${platform.schedulerUrl} (mutual RA-TLS)\n`);
        out.write(
          `  clients verify with ${platform.clientDir} (signed policy; Teaclave: enclave_info.toml, as_root_ca_cert.pem)\n`,
        );
        if (platform.createdAdminPassword !== null) {
          const given = opts.adminPassword ?? process.env.MESATEE_ADMIN_PASSWORD;
          out.write(
            given
              ? `  created user "${ADMIN_ID}" (PlatformAdmin) with the given password\n`
              : `  created user "${ADMIN_ID}" (PlatformAdmin), password: ${platform.createdAdminPassword}\n  (shown once; change it with UserChangePassword)\n`,
          );
        }
        out.write("Press Ctrl-C to stop.\n");
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        out.write("stopping...\n");
        await platform.close();
        out.write("stopped\n");
      },
    );
}
