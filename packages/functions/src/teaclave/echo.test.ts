import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryContext } from "../memory-context.js";
import { echo } from "./echo.js";
import { rejectsWith } from "./test-support.js";

test("builtin-echo returns its message argument and logs it", async () => {
  const ctx = createMemoryContext({ args: { message: "Hello Teaclave!" } });
  assert.equal(await echo.run(ctx), "Hello Teaclave!");
  assert.deepEqual(ctx.logLines, ["Hello Teaclave!"]);
});

test("builtin-echo refuses a missing or non-string message", async () => {
  await rejectsWith(echo.run(createMemoryContext()), "INVALID_ARGUMENT", /missing argument "message"/);
  await rejectsWith(
    echo.run(createMemoryContext({ args: { message: 42 } })),
    "INVALID_ARGUMENT",
    /must be a string/,
  );
});
