import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryContext } from "../memory-context.js";
import { passwordCheck } from "./password-check.js";
import { rejectsWith } from "./test-support.js";

const exposed = "123456\nqwerty\npassword\nletmein\n  dragon  \r\n";

test("builtin-password-check answers true when the first line of the password is exposed", async () => {
  const ctx = createMemoryContext({
    inputs: { password: "password\nignored\n", exposed_passwords: exposed },
  });
  assert.equal(await passwordCheck.run(ctx), "true");
});

test("builtin-password-check trims both sides and answers false for an unexposed password", async () => {
  const yes = createMemoryContext({ inputs: { password: " dragon \n", exposed_passwords: exposed } });
  assert.equal(await passwordCheck.run(yes), "true");
  const no = createMemoryContext({
    inputs: { password: "correct horse battery staple", exposed_passwords: exposed },
  });
  assert.equal(await passwordCheck.run(no), "false");
  const prefix = createMemoryContext({ inputs: { password: "pass", exposed_passwords: exposed } });
  assert.equal(await passwordCheck.run(prefix), "false");
});

test("builtin-password-check refuses an empty password file and a missing input", async () => {
  await rejectsWith(
    passwordCheck.run(createMemoryContext({ inputs: { password: "", exposed_passwords: exposed } })),
    "INVALID_INPUT",
    /password is empty/,
  );
  await rejectsWith(
    passwordCheck.run(createMemoryContext({ inputs: { password: "x" } })),
    "NO_SUCH_FILE",
    /exposed_passwords/,
  );
});
