// The smallest task: register the built-in echo function, run it, read its result.
//   MESATEE_ADMIN_PASSWORD=... node examples/echo.js      (against `npm start`)
import { Buffer } from "node:buffer";
import { connect, runIfMain } from "./platform.js";

export async function echo(platform, message = "Hello from inside the TEE") {
  const admin = connect(platform);
  try {
    await admin.login("admin", platform.adminPassword);
    const { functionId } = await admin.frontend.registerFunction({
      name: "builtin-echo",
      executorType: "builtin",
      public: true,
      usageQuota: -1,
      arguments: [{ key: "message", allowOverwrite: true }],
    });
    const { taskId } = await admin.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ message }),
    });
    // A task with no data of other owners needs no approvals: it runs as soon as it is invoked.
    await admin.frontend.invokeTask({ taskId });
    const task = await admin.waitForTask(taskId);
    if (task.result?.result.case !== "Ok") throw new Error(`the task failed: ${JSON.stringify(task.result)}`);
    return Buffer.from(task.result.result.value.returnValue).toString("utf8");
  } finally {
    admin.close();
  }
}

runIfMain(import.meta, echo);
