import assert from "node:assert/strict";
import { test } from "node:test";
import { ipBytes, parseAuditQuery } from "./audit-log.js";

test("addresses become 16-byte IPv6, IPv4 mapped", () => {
  assert.equal(ipBytes("127.0.0.1").toString("hex"), "00000000000000000000ffff7f000001");
  assert.equal(ipBytes("::1").toString("hex"), "00000000000000000000000000000001");
  assert.equal(ipBytes("::ffff:10.0.0.2").toString("hex"), "00000000000000000000ffff0a000002");
  assert.equal(ipBytes("2001:db8::1").toString("hex"), "20010db8000000000000000000000001");
  assert.equal(ipBytes(undefined).toString("hex"), "0".repeat(32));
  assert.equal(ipBytes("garbage").toString("hex"), "0".repeat(32));
});

test("audit queries: fields, words and the match-all star", () => {
  assert.deepEqual(parseAuditQuery("*"), {});
  assert.deepEqual(parseAuditQuery("user:alice api:get_task result:false task"), {
    user: "alice",
    api: "get_task",
    allowed: false,
    words: ["task"],
  });
  assert.throws(() => parseAuditQuery("result:perhaps"), { code: "INVALID_ARGUMENT" });
  assert.throws(() => parseAuditQuery("x".repeat(2000)), { code: "INVALID_ARGUMENT" });
});
