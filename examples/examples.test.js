// The examples run as end-to-end tests against a platform of their own.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ADMIN_PASSWORD, startTestPlatform } from "@mesatee/platform/testing";
import { echo } from "./echo.js";
import { privateSetIntersection } from "./private-set-intersection.js";
import { pythonFunction } from "./python-function.js";

let t;
let platform;
before(async () => {
  t = await startTestPlatform();
  platform = {
    authenticationUrl: t.platform.authenticationUrl,
    frontendUrl: t.platform.frontendUrl,
    clientDir: t.platform.clientDir,
    adminPassword: ADMIN_PASSWORD,
  };
});
after(() => t.dispose());

test("examples/echo.js", async () => {
  assert.equal(await echo(platform, "examples run"), "examples run");
});

test("examples/private-set-intersection.js", async () => {
  assert.deepEqual(await privateSetIntersection(platform), {
    summary: "2 common items",
    alice: ["bob@example.com", "kay@example.com"],
    bob: ["bob@example.com", "kay@example.com"],
  });
});

test("examples/python-function.js", async () => {
  assert.deepEqual(await pythonFunction(platform), {
    summary: "12 words, 9 distinct",
    counts: "the 3\nfox 2",
  });
});
