// The whole platform on PostgreSQL, through the public API: a task runs to Finished, a restart keeps
// users and tasks, and the database holds nothing readable.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import pg from "pg";
import { common } from "@mesatee/sdk";
import { ADMIN_PASSWORD, startTestPlatform, USER_PASSWORD } from "./testing/harness.js";
import { startPostgres } from "./testing/postgres.js";

const cluster = await startPostgres();
after(() => cluster.stop());

const SECRET_ARG = "postgres-secret-argument";

test("on PostgreSQL a task runs to Finished, and a restart keeps users and tasks", async () => {
  const { url, connection } = await cluster.createDatabase();
  let t = await startTestPlatform({ config: { databaseUrl: url } });
  try {
    const owner = await t.user("owner", "DataOwner", "g");
    const { functionId } = await t.admin.frontend.registerFunction({
      name: "builtin-echo",
      public: true,
      usageQuota: -1,
      arguments: [{ key: "message", allowOverwrite: true }],
    });
    const { taskId } = await owner.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ message: SECRET_ARG }),
    });
    await owner.frontend.invokeTask({ taskId });
    const task = await owner.waitForTask(taskId, 60_000);
    assert.equal(common.TaskStatus[task.status], "Finished");
    assert.equal(
      task.result?.result.case === "Ok" && Buffer.from(task.result.result.value.returnValue).toString(),
      SECRET_ARG,
    );
    // The store is the database, not a file in the data directory.
    assert.equal(existsSync(join(t.dataDir, "mesatee.db")), false);

    t = await t.restart();
    assert.deepEqual((await t.admin.authentication.listUsers({ id: "" })).ids, ["admin", "owner"]);
    const again = t.client();
    await again.login("owner", USER_PASSWORD);
    assert.equal(common.TaskStatus[(await again.frontend.getTask({ taskId })).status], "Finished");
    assert.equal(await t.platform.audit.verify(), null);
  } finally {
    await t.dispose();
  }

  // The database saw only ciphertext: no argument, password or password hash in any row.
  const client = new pg.Client(connection);
  await client.connect();
  try {
    const rows = [];
    for (const table of ["documents", "task_queue", "audit_log"])
      rows.push(...(await client.query(`SELECT * FROM ${table}`)).rows);
    const bytes = Buffer.concat(
      rows.flatMap((row: Record<string, unknown>) =>
        Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))),
      ),
    );
    assert.ok(rows.length > 0);
    for (const needle of [SECRET_ARG, USER_PASSWORD, ADMIN_PASSWORD, "argon2id"])
      assert.equal(bytes.indexOf(Buffer.from(needle)), -1, `the database contains ${needle}`);
  } finally {
    await client.end();
  }
});
