// MesateeError carries the platform's stable code, or the RPC status in the same UPPER_SNAKE spelling.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ERROR_CODE_HEADER, MesateeError } from "./errors.js";

test("an error without the platform's code is named by its RPC status", () => {
  const cases: Array<[Code, string]> = [
    [Code.ResourceExhausted, "RESOURCE_EXHAUSTED"],
    [Code.FailedPrecondition, "FAILED_PRECONDITION"],
    [Code.Unauthenticated, "UNAUTHENTICATED"],
    [Code.Internal, "INTERNAL"],
  ];
  for (const [status, name] of cases) {
    const e = MesateeError.from(new ConnectError("no", status));
    assert.equal(e.code, name);
    assert.equal(e.status, status);
  }
});

test("the platform's own code wins over the status", () => {
  const e = MesateeError.from(
    new ConnectError("quota", Code.PermissionDenied, { [ERROR_CODE_HEADER]: "QUOTA_EXCEEDED" }),
  );
  assert.equal(e.code, "QUOTA_EXCEEDED");
  assert.equal(e.status, Code.PermissionDenied);
});
