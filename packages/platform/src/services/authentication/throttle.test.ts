// Password guessing is slowed: per user id and per client address, with doubling delays, parallel
// guesses counted before they are checked, and the correct password refused while a delay runs.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { MesateeError } from "@mesatee/sdk";
import { DEFAULT_AUTHENTICATION_CONFIG } from "./service.js";
import { FakeClock, startTestPlatform, USER_PASSWORD, type TestPlatform } from "../../testing/harness.js";
import { LoginThrottle, type LoginThrottleConfig } from "./throttle.js";

const CONFIG: LoginThrottleConfig = {
  freeFailuresPerUser: 3,
  freeFailuresPerAddress: 8,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxTracked: 1_000,
};

let t: TestPlatform;
const clock = new FakeClock();
before(async () => {
  t = await startTestPlatform({
    clock,
    config: {
      authentication: {
        ...DEFAULT_AUTHENTICATION_CONFIG,
        passwordHashing: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
        loginThrottle: CONFIG,
      },
    },
  });
});
after(() => t.dispose());

async function refusal(p: Promise<unknown>): Promise<MesateeError> {
  const e = await p.then(
    () => assert.fail("the login succeeded"),
    (err: unknown) => err as MesateeError,
  );
  assert.ok(e instanceof MesateeError);
  // Teaclave's authentication service answers every failure with UNAUTHENTICATED; the code tells them apart.
  assert.equal(e.status, Code.Unauthenticated);
  return e;
}
const codeOf = async (p: Promise<unknown>) => (await refusal(p)).code;

// The tests share one client address (loopback): each starts once every earlier record is forgotten.
const quiet = () => clock.advance(CONFIG.maxDelayMs + 1);

test("after the free failures a user id waits a doubling delay, even with the right password", async () => {
  quiet();
  await t.user("guessed", "DataOwner", "g");
  const c = t.client();
  for (let i = 0; i < CONFIG.freeFailuresPerUser; i++)
    assert.equal(await codeOf(c.login("guessed", `wrong-${i}`)), "UNAUTHENTICATED");
  // The next failure starts a 1 s delay; during it the right password is refused unchecked.
  assert.equal(await codeOf(c.login("guessed", "wrong-again")), "UNAUTHENTICATED");
  const refused = c.login("guessed", USER_PASSWORD).catch((e: MesateeError) => e);
  assert.equal(await codeOf(refused.then((e) => Promise.reject(e))), "TOO_MANY_ATTEMPTS");
  assert.match(((await refused) as MesateeError).message, /retry in 1 s/);
  clock.advance(1_000);
  // One more failure doubles the delay to 2 s.
  assert.equal(await codeOf(c.login("guessed", "wrong-once-more")), "UNAUTHENTICATED");
  clock.advance(1_000);
  assert.equal(await codeOf(c.login("guessed", USER_PASSWORD)), "TOO_MANY_ATTEMPTS");
  clock.advance(1_000);
  // The right password after the delay works and clears the record.
  await c.login("guessed", USER_PASSWORD);
  for (let i = 0; i < CONFIG.freeFailuresPerUser; i++)
    assert.equal(await codeOf(c.login("guessed", `wrong-${i}`)), "UNAUTHENTICATED");
  await c.login("guessed", USER_PASSWORD);
  c.close();
});

test("guesses sent in parallel are checked one at a time, each counted before the next", async () => {
  quiet();
  await t.user("burst", "DataOwner", "g");
  const c = t.client();
  const codes = await Promise.all(
    Array.from({ length: 10 }, (_, i) => codeOf(c.login("burst", `wrong-${i}`))),
  );
  // The free failures plus the one that starts the delay reach the password check; the rest wait.
  assert.equal(codes.filter((x) => x === "UNAUTHENTICATED").length, CONFIG.freeFailuresPerUser + 1);
  assert.equal(codes.filter((x) => x === "TOO_MANY_ATTEMPTS").length, 10 - CONFIG.freeFailuresPerUser - 1);
  c.close();
});

test("parallel logins with the right password all succeed, for one user id and from one address", async () => {
  quiet();
  await t.user("busy", "DataOwner", "g");
  const clients = Array.from({ length: CONFIG.freeFailuresPerAddress + 4 }, () => t.client());
  try {
    await Promise.all(clients.map((c) => c.login("busy", USER_PASSWORD)));
  } finally {
    clients.forEach((c) => c.close());
  }
});

test("one address spraying many user ids is slowed too, and refusals are audited", async () => {
  quiet();
  const c = t.client();
  // Unknown ids, one guess each: only the address's count grows.
  for (let i = 0; i < CONFIG.freeFailuresPerAddress; i++)
    assert.equal(await codeOf(c.login(`sprayed-${i}`, "password")), "UNAUTHENTICATED");
  assert.equal(await codeOf(c.login("sprayed-next", "password")), "UNAUTHENTICATED");
  assert.equal(await codeOf(c.login("sprayed-last", "password")), "TOO_MANY_ATTEMPTS");
  const { logs } = await t.admin.frontend.queryAuditLogs({
    query: "api:user_login result:false",
    limit: 100n,
  });
  assert.ok(logs.some((l) => l.user === "sprayed-last" && /TOO_MANY_ATTEMPTS/.test(l.message)));
  c.close();
});

test("records are bounded and quiet ones are forgotten", async () => {
  const now = new FakeClock();
  const throttle = new LoginThrottle({ ...CONFIG, maxTracked: 4, freeFailuresPerUser: 0 }, now);
  const wrong = (id: string) => throttle.attempt({ userId: id, address: undefined }, async () => false);
  let verified = 0;
  const right = (id: string) =>
    throttle.attempt({ userId: id, address: undefined }, async () => (verified++, true));
  assert.equal(await wrong("a"), false);
  await assert.rejects(right("a"), { code: "TOO_MANY_ATTEMPTS" });
  assert.equal(verified, 0, "a refused attempt never reaches the password check");
  // Four other ids push "a" out of the bounded record set: it may try again.
  for (const id of ["b", "c", "d", "e"]) await wrong(id);
  assert.equal(await wrong("a"), false);
  // After the longest delay of quiet, a record is forgotten.
  await assert.rejects(right("a"), { code: "TOO_MANY_ATTEMPTS" });
  now.advance(CONFIG.maxDelayMs + 1);
  assert.equal(await right("a"), true);
  assert.equal(verified, 1);
});
