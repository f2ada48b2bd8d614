// Where the examples find the platform: the defaults of `npm start`, or MESATEE_* environment variables.
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { MesateeClient } from "@mesatee/sdk";

/** The platform `npm start` runs, unless the environment names another. */
export function platformFromEnv() {
  const adminPassword = process.env.MESATEE_ADMIN_PASSWORD;
  if (!adminPassword) throw new Error("set MESATEE_ADMIN_PASSWORD to the password of the platform's admin");
  return {
    authenticationUrl: process.env.MESATEE_AUTHENTICATION_URL ?? "https://localhost:7776",
    frontendUrl: process.env.MESATEE_FRONTEND_URL ?? "https://localhost:7777",
    clientDir: process.env.MESATEE_CLIENT_DIR ?? ".mesatee/client",
    adminPassword,
  };
}

/** A client that attests the platform (by the signed policy in clientDir) before it sends anything. */
export function connect(platform) {
  return MesateeClient.fromClientDir({
    authenticationUrl: platform.authenticationUrl,
    frontendUrl: platform.frontendUrl,
    clientDir: platform.clientDir,
  });
}

/** Registers a user through the admin and returns a client logged in as that user. */
export async function newUser(platform, admin, name, role, group = "") {
  const id = `${name}-${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  await admin.authentication.userRegister({ id, password, role, attribute: group });
  const client = connect(platform);
  await client.login(id, password);
  return client;
}

/** Runs `example(platform)` when the file is run directly, printing what it returns. */
export function runIfMain(meta, example) {
  if (process.argv[1] && meta.url === pathToFileURL(process.argv[1]).href)
    example(platformFromEnv()).then(
      (result) => console.log(result),
      (error) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
}
