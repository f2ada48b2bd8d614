// Tokens: expiry, revocation on password change, reset, update and delete, forgery; passwords hashed with
// argon2id; tokens survive a restart.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { MesateeError, type MesateeClient } from "@mesatee/sdk";
import {
  ADMIN_PASSWORD,
  FakeClock,
  startTestPlatform,
  USER_PASSWORD,
  type TestPlatform,
} from "../../testing/harness.js";
import { DEFAULT_PASSWORD_HASHING, Passwords } from "./passwords.js";

let t: TestPlatform;
const clock = new FakeClock();

before(async () => {
  t = await startTestPlatform({ clock });
});
after(() => t.dispose());

async function unauthenticated(p: Promise<unknown>, message?: RegExp): Promise<void> {
  const e = await p.then(
    () => assert.fail("expected UNAUTHENTICATED"),
    (err: unknown) => err as MesateeError,
  );
  assert.ok(e instanceof MesateeError);
  assert.equal(e.code, "UNAUTHENTICATED");
  assert.equal(e.status, Code.Unauthenticated);
  if (message) assert.match(e.message, message);
}

const probe = (c: MesateeClient) => c.frontend.listFunctions({ userId: c.userId ?? "" });

test("a token expires after 24 hours", async () => {
  const u = await t.user("expiring", "DataOwner", "g");
  clock.advance(24 * 3600 * 1000 - 1000);
  await probe(u);
  clock.advance(2000);
  await unauthenticated(probe(u));
  await unauthenticated(probe(t.admin));
  await u.login("expiring", USER_PASSWORD);
  await probe(u);
  await t.admin.login("admin", ADMIN_PASSWORD);
});

test("changing a password revokes the user's older tokens, including the current one", async () => {
  const u = await t.user("changer", "DataOwner", "g");
  const other = t.client();
  await other.login("changer", USER_PASSWORD);
  await u.authentication.userChangePassword({ password: "brand-new-password" });
  await unauthenticated(probe(u));
  await unauthenticated(probe(other));
  await unauthenticated(u.login("changer", USER_PASSWORD));
  await u.login("changer", "brand-new-password");
  await probe(u);
});

test("resetting and updating a user revoke its tokens", async () => {
  const u = await t.user("resetme", "DataOwner", "g");
  const { password } = await t.admin.authentication.resetUserPassword({ id: "resetme" });
  await unauthenticated(probe(u));
  await u.login("resetme", password);
  await t.admin.authentication.userUpdate({
    id: "resetme",
    password: "updated-password",
    role: "DataOwner",
    attribute: "g",
  });
  await unauthenticated(probe(u));
});

test("deleting a user revokes its tokens, even if the id is registered again", async () => {
  const u = await t.user("ghost", "DataOwner", "g");
  await t.admin.authentication.deleteUser({ id: "ghost" });
  await unauthenticated(probe(u));
  await t.admin.authentication.userRegister({
    id: "ghost",
    password: USER_PASSWORD,
    role: "DataOwner",
    attribute: "g",
  });
  await unauthenticated(probe(u));
});

test("missing, forged and borrowed credentials are refused", async () => {
  const u = await t.user("victim", "DataOwner", "g");
  const token = await u.login("victim", USER_PASSWORD);
  const c = t.client();
  await unauthenticated(probe(c), /missing user id/);
  c.setCredential({ id: "victim", token: "" });
  await unauthenticated(probe(c), /missing token/);
  const [h, p, s] = token.split(".") as [string, string, string];
  const flipped = s.slice(0, -2) + (s.at(-2) === "A" ? "B" : "A") + s.at(-1);
  c.setCredential({ id: "victim", token: `${h}.${p}.${flipped}` });
  await unauthenticated(probe(c));
  // A token with an edited payload (another subject) fails the signature.
  const payload = JSON.parse(Buffer.from(p, "base64url").toString());
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: "admin", role: "PlatformAdmin" })).toString(
    "base64url",
  );
  c.setCredential({ id: "admin", token: `${h}.${forged}.${s}` });
  await unauthenticated(probe(c));
  // An unsigned token is refused.
  const none = Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url");
  c.setCredential({ id: "victim", token: `${none}.${p}.` });
  await unauthenticated(probe(c));
  // A valid token presented under another id is refused.
  c.setCredential({ id: "admin", token });
  await unauthenticated(t.client().frontend.queryAuditLogs({ query: "*", limit: 1n }));
  await unauthenticated(c.frontend.queryAuditLogs({ query: "*", limit: 1n }));
  // A huge token is refused without work.
  c.setCredential({ id: "victim", token: "x".repeat(10_000) });
  await unauthenticated(probe(c));
});

test("wrong passwords and unknown users fail login the same way", async () => {
  await t.user("known", "DataOwner", "g");
  const c = t.client();
  const a = await c.login("known", "wrong-password").catch((e: MesateeError) => e);
  const b = await c.login("unknown", "wrong-password").catch((e: MesateeError) => e);
  assert.ok(a instanceof MesateeError && b instanceof MesateeError);
  assert.deepEqual([a.code, a.message], [b.code, b.message]);
});

test("registration validates ids, roles and passwords", async () => {
  const bad = [
    { id: "", password: USER_PASSWORD, role: "DataOwner", attribute: "g" },
    { id: "has space", password: USER_PASSWORD, role: "DataOwner", attribute: "g" },
    { id: "ok1", password: "short", role: "DataOwner", attribute: "g" },
    { id: "ok2", password: USER_PASSWORD, role: "Emperor", attribute: "" },
    { id: "ok3", password: USER_PASSWORD, role: "DataOwner", attribute: "" },
    { id: "admin", password: USER_PASSWORD, role: "DataOwner", attribute: "g" },
  ];
  for (const req of bad) {
    const e = await t.admin.authentication.userRegister(req).catch((err: MesateeError) => err);
    assert.ok(e instanceof MesateeError, JSON.stringify(req));
    assert.ok(["INVALID_ARGUMENT", "ALREADY_EXISTS"].includes(e.code), e.code);
  }
  const ids = (await t.admin.authentication.listUsers({ id: "" })).ids;
  for (const id of ["ok1", "ok2", "ok3", "has space"]) assert.ok(!ids.includes(id));
});

test("an admin cannot delete its own account", async () => {
  const e = await t.admin.authentication.deleteUser({ id: "admin" }).catch((err: MesateeError) => err);
  assert.ok(e instanceof MesateeError);
  assert.equal(e.code, "PERMISSION_DENIED");
});

test("passwords are stored as argon2id with OWASP parameters by default", async () => {
  const hash = await new Passwords().hash("some-password");
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.deepEqual(DEFAULT_PASSWORD_HASHING, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const p = new Passwords();
  assert.equal(await p.verify(hash, "some-password"), true);
  assert.equal(await p.verify(hash, "other-password"), false);
  assert.equal(await p.verify(undefined, "some-password"), false);
});

test("tokens survive a restart", async () => {
  const u = await t.user("survivor", "DataOwner", "g");
  const token = await u.login("survivor", USER_PASSWORD);
  t = await t.restart();
  const c = t.client();
  c.setCredential({ id: "survivor", token });
  await probe(c);
});
