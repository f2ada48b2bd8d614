#!/usr/bin/env node
// Task queue throughput on PostgreSQL: lease + complete through the platform's storage backend (each a
// SERIALIZABLE transaction, retried on conflict) against a bare `pg` SKIP LOCKED loop (autocommit, READ
// COMMITTED, two statements per task) on the same private cluster, in the same run.
//
//   npx tsc -b packages/platform && node bench/storage.js [--tasks 2000] [--workers 1,8] [--runs 3]
//
// Each run enqueues --tasks entries (200-byte payloads), then W workers lease and complete them until the
// queue is empty; throughput is tasks / wall time. Backend and reference alternate per run; the best
// run of each is reported (background load only ever slows a run down).
import { Buffer } from "node:buffer";
import { performance } from "node:perf_hooks";
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";

const platform = await import(new URL("../packages/platform/dist/index.js", import.meta.url).href).catch(
  (error) => {
    console.error(`build first with \`npx tsc -b packages/platform\` (${error.message})`);
    process.exit(1);
  },
);
const { startPostgres } = await import(
  new URL("../packages/platform/dist/testing/postgres.js", import.meta.url).href
);
const { default: pg } = await import("pg");

const { values: opts } = parseArgs({
  options: {
    tasks: { type: "string", default: "2000" },
    workers: { type: "string", default: "1,8" },
    runs: { type: "string", default: "3" },
  },
});
const TASKS = Number(opts.tasks);
const RUNS = Number(opts.runs);
const PAYLOAD = Buffer.alloc(200, 7);

async function backendRun(connection, workers) {
  const backend = await platform.openPostgresBackend(connection, { poolSize: workers });
  try {
    await backend.transaction(async (tx) => {
      for (let i = 0; i < TASKS; i++) await tx.enqueue(`task-${i}`, PAYLOAD, i);
    });
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (;;) {
          const entry = await backend.transaction((tx) => tx.lease(`w${w}`, Date.now(), 60_000));
          if (!entry) return;
          await backend.transaction((tx) => tx.dequeue(entry.taskId));
          done++;
        }
      }),
    );
    const ms = performance.now() - start;
    if (done !== TASKS) throw new Error(`backend completed ${done} of ${TASKS}`);
    return ms;
  } finally {
    await backend.close();
  }
}

async function referenceRun(connection, workers) {
  const pool = new pg.Pool({ ...connection, max: workers });
  try {
    await pool.query(
      "CREATE TABLE IF NOT EXISTS queue (id BIGINT PRIMARY KEY, payload BYTEA NOT NULL, enqueued_at BIGINT NOT NULL, owner TEXT, expires BIGINT)",
    );
    await pool.query("CREATE INDEX IF NOT EXISTS queue_order ON queue (enqueued_at, id)");
    await pool.query(
      "INSERT INTO queue (id, payload, enqueued_at) SELECT i, $1, i FROM generate_series(0, $2 - 1) AS i",
      [PAYLOAD, TASKS],
    );
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (;;) {
          const r = await pool.query(
            `UPDATE queue SET owner = $1, expires = $2 WHERE id = (
               SELECT id FROM queue WHERE owner IS NULL OR expires < $3
               ORDER BY enqueued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING id, payload`,
            [`w${w}`, Date.now() + 60_000, Date.now()],
          );
          if (r.rowCount === 0) return;
          await pool.query("DELETE FROM queue WHERE id = $1", [r.rows[0].id]);
          done++;
        }
      }),
    );
    const ms = performance.now() - start;
    if (done !== TASKS) throw new Error(`reference completed ${done} of ${TASKS}`);
    return ms;
  } finally {
    await pool.end();
  }
}

const cluster = await startPostgres();
try {
  const probe = new pg.Client(cluster.connection);
  await probe.connect();
  const version = (await probe.query("SHOW server_version")).rows[0].server_version;
  await probe.end();
  console.log(
    `task queue, ${TASKS} tasks, best of ${RUNS}; PostgreSQL ${version} (private cluster, Unix socket, fsync off); ` +
      `${cpus().length} x ${cpus()[0]?.model.trim()}; node ${process.version}; load ${loadavg()[0].toFixed(2)}`,
  );
  console.log("workers  backend tasks/s  bare pg SKIP LOCKED tasks/s  backend / bare pg");
  for (const workers of opts.workers.split(",").map(Number)) {
    let best = { backend: Infinity, reference: Infinity };
    for (let run = 0; run < RUNS; run++) {
      const b = await backendRun((await cluster.createDatabase()).connection, workers);
      const r = await referenceRun((await cluster.createDatabase()).connection, workers);
      best = { backend: Math.min(best.backend, b), reference: Math.min(best.reference, r) };
    }
    const rate = (ms) => (TASKS / ms) * 1000;
    console.log(
      `${String(workers).padEnd(7)}  ${rate(best.backend).toFixed(0).padEnd(15)}  ${rate(best.reference).toFixed(0).padEnd(26)}  ${(rate(best.backend) / rate(best.reference)).toFixed(2)}x`,
    );
  }
} finally {
  await cluster.stop();
}
