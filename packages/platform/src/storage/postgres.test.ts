// The storage conformance suite on PostgreSQL, and what only a shared database must get right: many
// processes (here, pools) leasing from one queue and appending to one audit chain at once.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import pg from "pg";
import { startPostgres } from "../testing/postgres.js";
import { keyedAuditChain, verifyAuditChain } from "./audit-hash.js";

/** The audit chain the store would use, under a fixed test key. */
const CHAIN = keyedAuditChain(Buffer.alloc(32, 7));
import { backendConformance } from "./backend-conformance.js";
import type { StorageBackend } from "./backend.js";
import { openPostgresBackend, redactDatabaseUrl } from "./postgres.js";

const cluster = await startPostgres();
after(() => cluster.stop());

const sql = async (connection: pg.PoolConfig, text: string) => {
  const client = new pg.Client(connection);
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
};

backendConformance({
  name: "postgres",
  async createDatabase() {
    const { connection } = await cluster.createDatabase();
    return {
      open: () => openPostgresBackend(connection),
      async setAuditAllowed(seq, allowed) {
        await sql(connection, `UPDATE audit_log SET allowed = ${allowed} WHERE seq = ${seq}`);
      },
      async deleteAudit(seq) {
        await sql(connection, `DELETE FROM audit_log WHERE seq = ${seq}`);
      },
      async rawBytes() {
        const parts: Buffer[] = [];
        for (const table of ["documents", "task_queue", "audit_log", "meta"]) {
          const r = await sql(connection, `SELECT * FROM ${table}`);
          for (const row of r.rows as Array<Record<string, unknown>>)
            for (const v of Object.values(row)) parts.push(Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
        }
        return Buffer.concat(parts);
      },
      async dispose() {},
    };
  },
});

const withTwoPools = async (body: (a: StorageBackend, b: StorageBackend) => Promise<void>) => {
  const { connection } = await cluster.createDatabase();
  // Opened at once, as two processes starting together: schema creation must not trip over itself.
  const [a, b] = await Promise.all([openPostgresBackend(connection), openPostgresBackend(connection)]);
  try {
    await body(a, b);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
};

test("two processes leasing from one queue: every entry is leased exactly once", async () => {
  await withTwoPools(async (a, b) => {
    const n = 300;
    await a.transaction(async (tx) => {
      for (let i = 0; i < n; i++) await tx.enqueue(`task-${i}`, Buffer.from([i & 0xff]), i);
    });
    const leased: string[] = [];
    const worker = async (backend: StorageBackend, name: string) => {
      for (;;) {
        const entry = await backend.transaction((tx) => tx.lease(name, 1_000, 60_000));
        if (!entry) return;
        leased.push(entry.taskId);
        assert.equal(entry.attempts, 1);
        assert.equal(await backend.transaction((tx) => tx.dequeue(entry.taskId)), true);
      }
    };
    await Promise.all(
      [a, b].flatMap((backend, p) => [0, 1, 2, 3].map((w) => worker(backend, `p${p}-w${w}`))),
    );
    assert.equal(leased.length, n);
    assert.equal(new Set(leased).size, n);
    assert.equal(await a.transaction((tx) => tx.queueLength()), 0);
  });
});

test("two processes appending to the audit log at once keep one unbroken chain", async () => {
  await withTwoPools(async (a, b) => {
    const appender = async (backend: StorageBackend, name: string) => {
      for (let i = 0; i < 25; i++)
        await backend.transaction((tx) =>
          tx.appendAudit(
            {
              timeMicros: i,
              ip: Buffer.alloc(16),
              user: name,
              role: "r",
              api: "get_task",
              object: `task-${i}`,
              allowed: true,
              error: "",
            },
            CHAIN,
          ),
        );
    };
    await Promise.all([a, b].flatMap((backend, p) => [0, 1, 2].map((w) => appender(backend, `p${p}-${w}`))));
    const chain = await b.transaction((tx) => tx.auditChain());
    assert.equal(chain.length, 150);
    assert.deepEqual(
      chain.map((r) => r.seq),
      Array.from({ length: 150 }, (_, i) => i + 1),
    );
    assert.equal(verifyAuditChain(chain, CHAIN), null);
  });
});

test("a serialization conflict is retried transparently: no update is lost", async () => {
  await withTwoPools(async (a, b) => {
    await a.transaction((tx) => tx.insert("secret", "counter", Buffer.from("0")));
    // Both transactions read the counter before either writes it, so one of them must be aborted.
    let reads = 0;
    let release!: () => void;
    const bothRead = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    const increment = (backend: StorageBackend) =>
      backend.transaction(async (tx) => {
        runs++;
        const value = Number((await tx.get("secret", "counter"))?.toString());
        if (++reads === 2) release();
        if (reads <= 2) await bothRead;
        await tx.update("secret", "counter", Buffer.from(String(value + 1)));
      });
    await Promise.all([increment(a), increment(b)]);
    assert.equal((await a.transaction((tx) => tx.get("secret", "counter")))?.toString(), "2");
    assert.ok(runs >= 3, `one transaction ran again (runs: ${runs})`);
  });
});

test("a transaction that throws changes nothing, also for other processes", async () => {
  await withTwoPools(async (a, b) => {
    await a.transaction((tx) => tx.insert("user", "alice", Buffer.from("v1")));
    await assert.rejects(
      a.transaction(async (tx) => {
        await tx.update("user", "alice", Buffer.from("v2"));
        await tx.insert("task", "task-1", Buffer.from("t"));
        await tx.enqueue("task-1", Buffer.from("p"), 1);
        // Another process does not see the uncommitted change.
        assert.deepEqual(await b.transaction((other) => other.get("user", "alice")), Buffer.from("v1"));
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.deepEqual(await b.transaction((tx) => tx.get("user", "alice")), Buffer.from("v1"));
    assert.equal(await b.transaction((tx) => tx.get("task", "task-1")), undefined);
    assert.equal(await b.transaction((tx) => tx.queueLength()), 0);
  });
});

test("committed data survives a restart of the database server", async () => {
  const { connection } = await cluster.createDatabase();
  const first = await openPostgresBackend(connection);
  await first.transaction(async (tx) => {
    await tx.insert("user", "alice", Buffer.from("a"));
    await tx.enqueue("task-1", Buffer.from("p"), 5);
    await tx.appendAudit(
      {
        timeMicros: 1,
        ip: Buffer.alloc(16),
        user: "alice",
        role: "r",
        api: "login",
        object: "",
        allowed: true,
        error: "",
      },
      CHAIN,
    );
  });
  await first.close();
  await cluster.restart();
  const second = await openPostgresBackend(connection);
  try {
    assert.deepEqual(await second.transaction((tx) => tx.get("user", "alice")), Buffer.from("a"));
    assert.equal((await second.transaction((tx) => tx.queueEntry("task-1")))?.enqueuedAt, 5);
    assert.equal(verifyAuditChain(await second.transaction((tx) => tx.auditChain()), CHAIN), null);
  } finally {
    await second.close();
  }
});

test("an unreachable database is UNAVAILABLE, and the message never shows the password", async () => {
  const url = `postgresql://mesatee:s3cret-pw@/postgres?host=${encodeURIComponent(`${cluster.dir}/missing`)}`;
  await assert.rejects(
    openPostgresBackend(url, { connectTimeoutMs: 2_000 }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, "UNAVAILABLE");
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    },
  );
  assert.equal(redactDatabaseUrl("postgres://u:s3cret-pw@db:5432/x"), "postgres://u:***@db:5432/x");
  assert.doesNotMatch(redactDatabaseUrl("postgres://db/x?password=s3cret-pw"), /s3cret/);
});

test("invalid options are refused before connecting", async () => {
  await assert.rejects(openPostgresBackend(cluster.connection, { poolSize: 0 }), {
    code: "INVALID_ARGUMENT",
  });
});
