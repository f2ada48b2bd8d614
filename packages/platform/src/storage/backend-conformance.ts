// What every storage backend must do, as one suite that sqlite.test.ts and postgres.test.ts run against
// their backend: the same inputs give the same results, errors and orderings.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { AuditLog } from "../services/audit/audit-log.js";
import { keyedAuditChain, verifyAuditChain } from "./audit-hash.js";

/** The audit chain the store would use, under a fixed test key. */
const CHAIN = keyedAuditChain(Buffer.alloc(32, 7));
import type { AuditFilter, NewAuditRecord, StorageBackend } from "./backend.js";
import { createSealer } from "./sealer.js";
import { createStore } from "./store.js";

/** One empty database of the backend under test. */
export interface BackendDatabase {
  /** Opens the database (again): a second open is another process on the same data. */
  open(): Promise<StorageBackend>;
  /** Edits the audit log behind the backend's back, as an attacker with database access would. */
  setAuditAllowed(seq: number, allowed: boolean): Promise<void>;
  deleteAudit(seq: number): Promise<void>;
  /** Every stored byte of the database, for checking that plaintext never reaches it. */
  rawBytes(): Promise<Buffer>;
  dispose(): Promise<void>;
}

export interface BackendUnderTest {
  readonly name: string;
  createDatabase(): Promise<BackendDatabase>;
}

const audit = (i: number, over: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
  timeMicros: i,
  ip: Buffer.alloc(16),
  user: "u",
  role: "r",
  api: "get_task",
  object: `task-${i}`,
  allowed: true,
  error: "",
  ...over,
});

export function backendConformance(b: BackendUnderTest): void {
  const withBackend = (name: string, body: (backend: StorageBackend, db: BackendDatabase) => Promise<void>) =>
    void test(`${b.name}: ${name}`, async () => {
      const db = await b.createDatabase();
      const backend = await db.open();
      try {
        await body(backend, db);
      } finally {
        await backend.close();
        await db.dispose();
      }
    });

  withBackend("documents: insert, get, update, delete, count; kinds are separate", async (s) => {
    await s.transaction(async (tx) => {
      await tx.insert("user", "alice", Buffer.from("a1"));
      await tx.insert("task", "alice", Buffer.from("t1"));
    });
    assert.deepEqual(await s.transaction((tx) => tx.get("user", "alice")), Buffer.from("a1"));
    assert.deepEqual(await s.transaction((tx) => tx.get("task", "alice")), Buffer.from("t1"));
    assert.equal(await s.transaction((tx) => tx.get("user", "bob")), undefined);
    await s.transaction((tx) => tx.update("user", "alice", Buffer.from("a2")));
    assert.deepEqual(await s.transaction((tx) => tx.get("user", "alice")), Buffer.from("a2"));
    assert.equal(await s.transaction((tx) => tx.count("user")), 1);
    assert.equal(await s.transaction((tx) => tx.delete("user", "alice")), true);
    assert.equal(await s.transaction((tx) => tx.delete("user", "alice")), false);
    assert.equal(await s.transaction((tx) => tx.count("user")), 0);
    assert.deepEqual(await s.transaction((tx) => tx.get("task", "alice")), Buffer.from("t1"));
  });

  withBackend(
    "documents: inserting an existing id is ALREADY_EXISTS, updating a missing one NOT_FOUND",
    async (s) => {
      await s.transaction((tx) => tx.insert("input", "input-1", Buffer.from("x")));
      await assert.rejects(
        s.transaction((tx) => tx.insert("input", "input-1", Buffer.from("y"))),
        { code: "ALREADY_EXISTS" },
      );
      await assert.rejects(
        s.transaction((tx) => tx.update("input", "input-2", Buffer.from("y"))),
        { code: "NOT_FOUND" },
      );
      assert.deepEqual(await s.transaction((tx) => tx.get("input", "input-1")), Buffer.from("x"));
      assert.equal(await s.transaction((tx) => tx.get("input", "input-2")), undefined);
    },
  );

  withBackend("documents: lists are ordered by id byte-wise; ids and values keep every byte", async (s) => {
    const ids = ["b", "B", "a", "ab", "a\u0000b", "é", "z", "A-1", "a b", "\u{1F600}"];
    const value = (id: string) => Buffer.concat([Buffer.from(id), Buffer.from([0, 255, 0])]);
    await s.transaction(async (tx) => {
      for (const id of ids) await tx.insert("function", id, value(id));
      await tx.insert("secret", "empty", Buffer.alloc(0));
    });
    const listed = await s.transaction((tx) => tx.list("function"));
    const expected = [...ids].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual(
      listed.map((r) => r.id),
      expected,
    );
    for (const r of listed) assert.deepEqual(Buffer.from(r.value), value(r.id));
    assert.deepEqual(
      Buffer.from((await s.transaction((tx) => tx.get("secret", "empty"))) ?? "x"),
      Buffer.alloc(0),
    );
    assert.deepEqual(await s.transaction((tx) => tx.list("user")), []);
  });

  withBackend("a failed transaction leaves nothing behind", async (s) => {
    await s.transaction((tx) => tx.insert("user", "kept", Buffer.from("k")));
    await assert.rejects(
      s.transaction(async (tx) => {
        await tx.insert("user", "u", Buffer.from("x"));
        await tx.update("user", "kept", Buffer.from("changed"));
        await tx.enqueue("task-1", Buffer.from("p"), 1);
        await tx.appendAudit(audit(1), CHAIN);
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.equal(await s.transaction((tx) => tx.get("user", "u")), undefined);
    assert.deepEqual(await s.transaction((tx) => tx.get("user", "kept")), Buffer.from("k"));
    assert.equal(await s.transaction((tx) => tx.queueLength()), 0);
    assert.deepEqual(await s.transaction((tx) => tx.auditChain()), []);
  });

  withBackend(
    "a lease is exclusive until it expires, then another worker takes the entry over",
    async (s) => {
      await s.transaction(async (tx) => {
        await tx.enqueue("task-1", Buffer.from("p1"), 10);
        await tx.enqueue("task-2", Buffer.from("p2"), 20);
      });
      const first = await s.transaction((tx) => tx.lease("w1", 100, 50));
      const second = await s.transaction((tx) => tx.lease("w2", 100, 50));
      const none = await s.transaction((tx) => tx.lease("w3", 100, 50));
      assert.deepEqual([first?.taskId, second?.taskId, none], ["task-1", "task-2", undefined]);
      assert.deepEqual(first, {
        taskId: "task-1",
        payload: first?.payload,
        attempts: 1,
        enqueuedAt: 10,
        leaseOwner: "w1",
        leaseExpiresAt: 150,
      });
      assert.deepEqual(Buffer.from(first?.payload ?? []), Buffer.from("p1"));
      assert.equal(
        await s.transaction((tx) => tx.renewLease("task-1", "w2", 120, 50)),
        false,
        "only the holder renews",
      );
      assert.equal(await s.transaction((tx) => tx.renewLease("task-1", "w1", 120, 50)), true);
      const expired = await s.transaction((tx) => tx.expiredLeases(160));
      assert.deepEqual(
        expired.map((e) => e.taskId),
        ["task-2"],
      );
      const taken = await s.transaction((tx) => tx.lease("w3", 160, 50));
      assert.deepEqual([taken?.taskId, taken?.attempts, taken?.leaseOwner], ["task-2", 2, "w3"]);
      assert.equal(
        await s.transaction((tx) => tx.renewLease("task-2", "w2", 161, 50)),
        false,
        "the old holder lost it",
      );
    },
  );

  withBackend(
    "the queue: oldest first (ties by task id), release, dequeue, entries and length",
    async (s) => {
      await s.transaction(async (tx) => {
        await tx.enqueue("task-c", Buffer.from("c"), 5);
        await tx.enqueue("task-b", Buffer.from("b"), 5);
        await tx.enqueue("task-a", Buffer.from("a"), 7);
      });
      assert.equal(await s.transaction((tx) => tx.queueLength()), 3);
      const entry = await s.transaction((tx) => tx.queueEntry("task-a"));
      assert.deepEqual(
        [entry?.taskId, entry?.attempts, entry?.enqueuedAt, entry?.leaseOwner, entry?.leaseExpiresAt],
        ["task-a", 0, 7, null, null],
      );
      assert.equal(await s.transaction((tx) => tx.queueEntry("task-x")), undefined);
      const l1 = await s.transaction((tx) => tx.lease("w", 10, 5));
      assert.equal(l1?.taskId, "task-b");
      await s.transaction((tx) => tx.releaseLease("task-b"));
      const released = await s.transaction((tx) => tx.queueEntry("task-b"));
      assert.deepEqual([released?.leaseOwner, released?.leaseExpiresAt, released?.attempts], [null, null, 1]);
      const l2 = await s.transaction((tx) => tx.lease("w", 10, 5));
      assert.deepEqual([l2?.taskId, l2?.attempts], ["task-b", 2]);
      await s.transaction(async (tx) => {
        await tx.lease("w", 11, 5);
        await tx.lease("w", 12, 5);
      });
      assert.deepEqual(
        (await s.transaction((tx) => tx.expiredLeases(100))).map((e) => e.taskId),
        ["task-b", "task-c", "task-a"],
      );
      assert.deepEqual(await s.transaction((tx) => tx.expiredLeases(15)), []);
      assert.equal(await s.transaction((tx) => tx.dequeue("task-b")), true);
      assert.equal(await s.transaction((tx) => tx.dequeue("task-b")), false);
      assert.equal(await s.transaction((tx) => tx.queueLength()), 2);
    },
  );

  withBackend("the audit log: filters, words, time range, newest first, limit", async (s) => {
    await s.transaction(async (tx) => {
      await tx.appendAudit(audit(10, { user: "alice", api: "create_task", object: "task-1" }), CHAIN);
      await tx.appendAudit(
        audit(20, {
          user: "bob",
          api: "get_task",
          object: "task-1",
          allowed: false,
          error: "Permission Denied",
        }),
        CHAIN,
      );
      await tx.appendAudit(audit(30, { user: "alice", api: "get_task", object: "task-2" }), CHAIN);
      await tx.appendAudit(audit(40, { user: "Carol", api: "login", object: "", error: "" }), CHAIN);
    });
    const seqs = async (filter: AuditFilter, limit = 100) =>
      (await s.transaction((tx) => tx.queryAudit(filter, limit))).map((r) => r.seq);
    assert.deepEqual(await seqs({}), [4, 3, 2, 1]);
    assert.deepEqual(await seqs({}, 2), [4, 3]);
    assert.deepEqual(await seqs({ user: "alice" }), [3, 1]);
    assert.deepEqual(await seqs({ user: "ALICE" }), [], "field filters are exact");
    assert.deepEqual(await seqs({ api: "get_task", object: "task-1" }), [2]);
    assert.deepEqual(await seqs({ allowed: false }), [2]);
    assert.deepEqual(await seqs({ allowed: true }), [4, 3, 1]);
    assert.deepEqual(await seqs({ sinceMicros: 20, untilMicros: 30 }), [3, 2]);
    assert.deepEqual(await seqs({ words: ["permission"] }), [2], "words ignore case");
    assert.deepEqual(await seqs({ words: ["carol"] }), [4], "words match the user too");
    assert.deepEqual(await seqs({ words: ["task", "alice"] }), [3, 1], "every word must match");
    assert.deepEqual(await seqs({ words: ["task-2"], user: "alice" }), [3]);
    assert.deepEqual(await seqs({ words: ["nothing"] }), []);
    const [r] = await s.transaction((tx) => tx.queryAudit({ user: "bob" }, 10));
    assert.deepEqual(
      { ...r, ip: Buffer.from(r?.ip ?? []) },
      {
        seq: 2,
        timeMicros: 20,
        ip: Buffer.alloc(16),
        user: "bob",
        role: "r",
        api: "get_task",
        object: "task-1",
        allowed: false,
        error: "Permission Denied",
        hash: r?.hash,
      },
    );
  });

  withBackend("editing or deleting an audit record breaks the chain", async (s, db) => {
    const appended = [];
    for (let i = 0; i < 5; i++) appended.push(await s.transaction((tx) => tx.appendAudit(audit(i), CHAIN)));
    const chain = await s.transaction((tx) => tx.auditChain());
    assert.deepEqual(
      chain.map((r) => [r.seq, r.hash]),
      appended.map((r) => [r.seq, r.hash]),
    );
    assert.equal(verifyAuditChain(chain, CHAIN), null);
    await db.setAuditAllowed(3, false);
    assert.equal(verifyAuditChain(await s.transaction((tx) => tx.auditChain()), CHAIN), 3);
    await db.setAuditAllowed(3, true);
    assert.equal(verifyAuditChain(await s.transaction((tx) => tx.auditChain()), CHAIN), null);
    await db.deleteAudit(2);
    assert.equal(verifyAuditChain(await s.transaction((tx) => tx.auditChain()), CHAIN), 3);
  });

  withBackend("concurrent audit events are committed as one unbroken chain", async (s) => {
    const store = createStore(s, createSealer(randomBytes(32)));
    const log = new AuditLog(store, { now: () => 1_000 });
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        log.record({
          ip: "10.0.0.1",
          user: `u${i}`,
          role: "r",
          api: "get_task",
          object: `task-${i}`,
          allowed: true,
          error: "",
        }),
      ),
    );
    assert.equal(await log.verify(), null);
    assert.equal((await log.query("*", 100n)).length, 40);
    assert.deepEqual(
      (await log.query("user:u7", 10n)).map((r) => r.object),
      ["task-7"],
    );
  });

  withBackend("the database holds only sealed documents and queue payloads", async (s, db) => {
    const store = createStore(s, createSealer(randomBytes(32)));
    const marker = `plaintext-${randomBytes(8).toString("hex")}`;
    await store.transaction(async (tx) => {
      await tx.insert("secret", "s", { value: marker });
      await tx.enqueue({ taskId: "task-1", marker } as unknown as Parameters<typeof tx.enqueue>[0], 1);
    });
    assert.equal((await store.transaction((tx) => tx.get("secret", "s")))?.value, marker);
    await s.close();
    assert.equal((await db.rawBytes()).includes(Buffer.from(marker)), false);
  });

  withBackend("what was committed survives closing and reopening", async (s, db) => {
    await s.transaction(async (tx) => {
      await tx.insert("user", "alice", Buffer.from("a"));
      await tx.enqueue("task-1", Buffer.from("p"), 1);
      await tx.appendAudit(audit(1), CHAIN);
    });
    await s.close();
    const again = await db.open();
    try {
      assert.deepEqual(await again.transaction((tx) => tx.get("user", "alice")), Buffer.from("a"));
      assert.equal((await again.transaction((tx) => tx.queueEntry("task-1")))?.enqueuedAt, 1);
      const chain = await again.transaction((tx) => tx.auditChain());
      assert.equal(chain.length, 1);
      assert.equal(verifyAuditChain(chain, CHAIN), null);
      // The chain continues where it stopped.
      await again.transaction((tx) => tx.appendAudit(audit(2), CHAIN));
      assert.equal(verifyAuditChain(await again.transaction((tx) => tx.auditChain()), CHAIN), null);
    } finally {
      await again.close();
    }
  });

  withBackend("a closed backend refuses transactions", async (s) => {
    await s.close();
    await assert.rejects(
      s.transaction((tx) => tx.count("user")),
      { code: "INTERNAL" },
    );
  });
}
