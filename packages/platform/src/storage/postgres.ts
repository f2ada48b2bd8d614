// Scale-out storage backend on PostgreSQL (pg). Every transaction runs SERIALIZABLE, so services in many
// processes see the same guarantees as the embedded SQLite backend's single writer; PostgreSQL aborts a
// transaction that could break that (SQLSTATE 40001/40P01) and we run it again, which is why every
// transaction callback only reads and writes through its `tx`.
//
// Strings that come from callers (document and task ids, audit fields) are stored as UTF-8 BYTEA: it
// orders byte-wise like SQLite's BINARY collation whatever the cluster's locale, and it accepts every
// string SQLite does (PostgreSQL text rejects NUL).
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { PlatformError } from "../errors.js";
import { AUDIT_GENESIS, type AuditChain } from "./audit-hash.js";
import type {
  AuditFilter,
  AuditRecord,
  BackendTransaction,
  DocumentKind,
  NewAuditRecord,
  QueueEntry,
  StorageBackend,
} from "./backend.js";

export interface PostgresOptions {
  /** Connections in the pool. */
  readonly poolSize?: number;
  /** Longest a single statement may run (ms). */
  readonly statementTimeoutMs?: number;
  /** Longest to wait for a connection (ms). */
  readonly connectTimeoutMs?: number;
  /** Attempts of a transaction that keeps conflicting with concurrent ones, the first included. */
  readonly maxAttempts?: number;
  /** Backoff before the first retry (ms); it doubles with every attempt, with full jitter. */
  readonly retryBaseMs?: number;
  /** Cap on the backoff (ms). */
  readonly retryMaxMs?: number;
}

export const POSTGRES_DEFAULTS: Required<PostgresOptions> = {
  poolSize: 10,
  statementTimeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  maxAttempts: 20,
  retryBaseMs: 2,
  retryMaxMs: 200,
};

const SCHEMA_VERSION = "1";
// Serializes schema creation between processes opening the same database at once ("mesatee" in ASCII).
const SCHEMA_LOCK = 0x6d65736174656500n;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  kind TEXT NOT NULL,
  id BYTEA NOT NULL,
  value BYTEA NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS task_queue (
  task_id BYTEA PRIMARY KEY,
  payload BYTEA NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  enqueued_at BIGINT NOT NULL,
  lease_owner TEXT,
  lease_expires_at BIGINT
);
CREATE INDEX IF NOT EXISTS task_queue_order ON task_queue (enqueued_at, task_id);
CREATE TABLE IF NOT EXISTS audit_log (
  seq BIGINT PRIMARY KEY,
  time_us BIGINT NOT NULL,
  ip BYTEA NOT NULL,
  user_id BYTEA NOT NULL,
  role BYTEA NOT NULL,
  api BYTEA NOT NULL,
  object BYTEA NOT NULL,
  allowed BOOLEAN NOT NULL,
  error BYTEA NOT NULL,
  -- ASCII-lowercased "api object user error", for word queries (SQLite's lower() is ASCII-only too).
  search BYTEA NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_us);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface QueueRow {
  task_id: Buffer;
  payload: Buffer;
  attempts: number;
  enqueued_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
}

interface AuditRow {
  seq: string;
  time_us: string;
  ip: Buffer;
  user_id: Buffer;
  role: Buffer;
  api: Buffer;
  object: Buffer;
  allowed: boolean;
  error: Buffer;
  hash: string;
}

const bytes = (s: string) => Buffer.from(s, "utf8");
const text = (b: Buffer) => b.toString("utf8");
const asciiLower = (s: string) => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

const toEntry = (r: QueueRow): QueueEntry => ({
  taskId: text(r.task_id),
  payload: r.payload,
  attempts: r.attempts,
  enqueuedAt: Number(r.enqueued_at),
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
});

const toAudit = (r: AuditRow): AuditRecord => ({
  seq: Number(r.seq),
  timeMicros: Number(r.time_us),
  ip: r.ip,
  user: text(r.user_id),
  role: text(r.role),
  api: text(r.api),
  object: text(r.object),
  allowed: r.allowed,
  error: text(r.error),
  hash: r.hash,
});

const AUDIT_COLUMNS = "seq, time_us, ip, user_id, role, api, object, allowed, error, hash";

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
};

/** A conflict with a concurrent transaction: running the transaction again is safe and may succeed. */
function isConflict(error: unknown): boolean {
  const code = sqlState(error);
  if (code === "40001" || code === "40P01") return true;
  // Two appenders that read the same chain head both try to take the next seq; the loser reruns.
  return code === "23505" && (error as { constraint?: string }).constraint === "audit_log_pkey";
}

// Connection-level failures: socket errors, refused logins, the server shutting down or going away.
function isUnavailable(error: unknown): boolean {
  const code = sqlState(error);
  if (code === undefined) {
    const message = error instanceof Error ? error.message : "";
    return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    );
  }
  return (
    /^(08|28|3D|53|57P)/.test(code) ||
    ["ECONNREFUSED", "ECONNRESET", "ENOENT", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE"].includes(code)
  );
}

/** Turns driver errors into platform errors; messages never carry the connection string. */
function toPlatformError(error: unknown): unknown {
  if (error instanceof PlatformError) return error;
  const code = sqlState(error);
  const detail = error instanceof Error ? error.message : String(error);
  if (isUnavailable(error))
    return new PlatformError(
      "UNAVAILABLE",
      `the database is unavailable (${code ?? "connection"}: ${detail})`,
      {
        cause: error,
      },
    );
  if (code === "57014")
    return new PlatformError("UNAVAILABLE", "a database statement exceeded its time limit", { cause: error });
  return new PlatformError("INTERNAL", `database error${code ? ` ${code}` : ""}: ${detail}`, {
    cause: error,
  });
}

function poolConfig(connection: string | pg.PoolConfig, o: Required<PostgresOptions>): pg.PoolConfig {
  const base: pg.PoolConfig = typeof connection === "string" ? { connectionString: connection } : connection;
  return {
    max: o.poolSize,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    // A transaction left open (a stuck caller) would hold its locks forever: the server ends it.
    idle_in_transaction_session_timeout: o.statementTimeoutMs,
    application_name: "mesatee",
    ...base,
  };
}

interface AttemptState {
  /** Set when any statement hit a conflict, even if the callback caught and replaced that error. */
  conflict: boolean;
}

function transactionOn(client: pg.PoolClient, state: AttemptState): BackendTransaction {
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
    try {
      return await client.query<R>(sql, params);
    } catch (error) {
      if (isConflict(error)) state.conflict = true;
      throw error;
    }
  };
  return {
    async get(kind, id) {
      const r = await query<{ value: Buffer }>("SELECT value FROM documents WHERE kind = $1 AND id = $2", [
        kind,
        bytes(id),
      ]);
      return r.rows[0]?.value;
    },
    async insert(kind, id, value) {
      try {
        await query("INSERT INTO documents (kind, id, value) VALUES ($1, $2, $3)", [
          kind,
          bytes(id),
          Buffer.from(value),
        ]);
      } catch (error) {
        if (sqlState(error) === "23505")
          throw new PlatformError("ALREADY_EXISTS", `${kind} ${id} already exists`, { cause: error });
        throw error;
      }
    },
    async update(kind, id, value) {
      const r = await query("UPDATE documents SET value = $1 WHERE kind = $2 AND id = $3", [
        Buffer.from(value),
        kind,
        bytes(id),
      ]);
      if (r.rowCount !== 1) throw new PlatformError("NOT_FOUND", `${kind} ${id} does not exist`);
    },
    async delete(kind, id) {
      const r = await query("DELETE FROM documents WHERE kind = $1 AND id = $2", [kind, bytes(id)]);
      return r.rowCount === 1;
    },
    async list(kind: DocumentKind) {
      const r = await query<{ id: Buffer; value: Buffer }>(
        "SELECT id, value FROM documents WHERE kind = $1 ORDER BY id",
        [kind],
      );
      return r.rows.map((row) => ({ id: text(row.id), value: row.value }));
    },
    async count(kind) {
      const r = await query<{ n: string }>("SELECT COUNT(*) AS n FROM documents WHERE kind = $1", [kind]);
      return Number(r.rows[0]?.n ?? 0);
    },
    async enqueue(taskId, payload, now) {
      await query("INSERT INTO task_queue (task_id, payload, enqueued_at) VALUES ($1, $2, $3)", [
        bytes(taskId),
        Buffer.from(payload),
        now,
      ]);
    },
    async dequeue(taskId) {
      const r = await query("DELETE FROM task_queue WHERE task_id = $1", [bytes(taskId)]);
      return r.rowCount === 1;
    },
    async queueEntry(taskId) {
      const r = await query<QueueRow>("SELECT * FROM task_queue WHERE task_id = $1", [bytes(taskId)]);
      return r.rows[0] && toEntry(r.rows[0]);
    },
    async lease(worker, now, leaseMs) {
      // SKIP LOCKED: a worker never waits for, or takes, an entry another worker is leasing right now.
      const r = await query<QueueRow>(
        `UPDATE task_queue SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1
         WHERE task_id = (
           SELECT task_id FROM task_queue WHERE lease_owner IS NULL OR lease_expires_at < $3
           ORDER BY enqueued_at, task_id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [worker, now + leaseMs, now],
      );
      return r.rows[0] && toEntry(r.rows[0]);
    },
    async renewLease(taskId, worker, now, leaseMs) {
      const r = await query(
        "UPDATE task_queue SET lease_expires_at = $1 WHERE task_id = $2 AND lease_owner = $3 AND lease_expires_at >= $4",
        [now + leaseMs, bytes(taskId), worker, now],
      );
      return r.rowCount === 1;
    },
    async expiredLeases(now) {
      const r = await query<QueueRow>(
        "SELECT * FROM task_queue WHERE lease_owner IS NOT NULL AND lease_expires_at < $1 ORDER BY enqueued_at, task_id",
        [now],
      );
      return r.rows.map(toEntry);
    },
    async releaseLease(taskId) {
      await query("UPDATE task_queue SET lease_owner = NULL, lease_expires_at = NULL WHERE task_id = $1", [
        bytes(taskId),
      ]);
    },
    async queueLength() {
      const r = await query<{ n: string }>("SELECT COUNT(*) AS n FROM task_queue");
      return Number(r.rows[0]?.n ?? 0);
    },
    async appendAudit(record: NewAuditRecord, chain: AuditChain) {
      // The primary key on seq keeps one chain: a concurrent appender that read the same head conflicts.
      const last = (
        await query<{ seq: string; hash: string }>(
          "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
        )
      ).rows[0];
      const seq = Number(last?.seq ?? 0) + 1;
      const hash = chain(last?.hash ?? AUDIT_GENESIS, seq, record);
      await query(
        `INSERT INTO audit_log (seq, time_us, ip, user_id, role, api, object, allowed, error, search, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          seq,
          record.timeMicros,
          Buffer.from(record.ip),
          bytes(record.user),
          bytes(record.role),
          bytes(record.api),
          bytes(record.object),
          record.allowed,
          bytes(record.error),
          bytes(asciiLower(`${record.api} ${record.object} ${record.user} ${record.error}`)),
          hash,
        ],
      );
      return { ...record, seq, hash };
    },
    async queryAudit(filter: AuditFilter, limit: number) {
      const where: string[] = [];
      const params: unknown[] = [];
      const condition = (clause: (p: string) => string, value: unknown) => {
        params.push(value);
        where.push(clause(`$${params.length}`));
      };
      if (filter.user !== undefined) condition((p) => `user_id = ${p}`, bytes(filter.user));
      if (filter.api !== undefined) condition((p) => `api = ${p}`, bytes(filter.api));
      if (filter.object !== undefined) condition((p) => `object = ${p}`, bytes(filter.object));
      if (filter.allowed !== undefined) condition((p) => `allowed = ${p}`, filter.allowed);
      if (filter.sinceMicros !== undefined) condition((p) => `time_us >= ${p}`, filter.sinceMicros);
      if (filter.untilMicros !== undefined) condition((p) => `time_us <= ${p}`, filter.untilMicros);
      for (const word of filter.words ?? [])
        condition((p) => `position(${p}::bytea in search) > 0`, bytes(word.toLowerCase()));
      // A negative limit means no limit, as in SQLite.
      params.push(limit < 0 ? null : limit);
      const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT $${params.length}`;
      return (await query<AuditRow>(sql, params)).rows.map(toAudit);
    },
    async auditChain() {
      return (await query<AuditRow>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq`)).rows.map(toAudit);
    },
  };
}

async function createSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK.toString()]);
    await client.query(SCHEMA);
    await client.query("INSERT INTO meta (key, value) VALUES ('schema_version', $1) ON CONFLICT DO NOTHING", [
      SCHEMA_VERSION,
    ]);
    const version = await client.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'schema_version'",
    );
    await client.query("COMMIT");
    const found = version.rows[0]?.value;
    if (found !== SCHEMA_VERSION)
      throw new PlatformError("INTERNAL", `unsupported database schema version ${found ?? "(none)"}`);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Opens (creating its schema if missing) a PostgreSQL database as a storage backend. `connection` is a
 * postgres:// URL or a pg pool configuration.
 */
export async function openPostgresBackend(
  connection: string | pg.PoolConfig,
  options: PostgresOptions = {},
): Promise<StorageBackend> {
  const o: Required<PostgresOptions> = { ...POSTGRES_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(o))
    if (!Number.isFinite(value) || value < (name === "poolSize" || name === "maxAttempts" ? 1 : 0))
      throw new PlatformError("INVALID_ARGUMENT", `invalid PostgreSQL option ${name}: ${value}`);
  const pool = new pg.Pool(poolConfig(connection, o));
  // An idle connection that breaks is dropped by the pool; the next transaction opens a new one.
  pool.on("error", () => undefined);
  try {
    await createSchema(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw toPlatformError(error);
  }

  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  const attempt = async <T>(fn: (tx: BackendTransaction) => Promise<T>, state: AttemptState): Promise<T> => {
    const client = await pool.connect();
    let broken: unknown;
    try {
      await client.query("BEGIN ISOLATION LEVEL SERIALIZABLE");
      const result = await fn(transactionOn(client, state));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      if (isConflict(error)) state.conflict = true;
      await client.query("ROLLBACK").catch((e: unknown) => (broken = e));
      throw error;
    } finally {
      // A connection whose rollback failed is in an unknown state: close it rather than reuse it.
      client.release(broken instanceof Error ? broken : undefined);
    }
  };

  const run = async <T>(fn: (tx: BackendTransaction) => Promise<T>): Promise<T> => {
    for (let n = 1; ; n++) {
      const state: AttemptState = { conflict: false };
      try {
        return await attempt(fn, state);
      } catch (error) {
        if (!state.conflict) throw toPlatformError(error);
        if (n >= o.maxAttempts)
          throw new PlatformError(
            "UNAVAILABLE",
            `the transaction conflicted with concurrent ones ${n} times; try again`,
            { cause: error },
          );
        const cap = Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** (n - 1));
        await sleep(Math.random() * cap);
      }
    }
  };

  return {
    transaction<T>(fn: (tx: BackendTransaction) => Promise<T>): Promise<T> {
      if (closed) return Promise.reject(new PlatformError("INTERNAL", "the store is closed"));
      const p = run(fn);
      inFlight.add(p);
      const done = () => inFlight.delete(p);
      p.then(done, done);
      return p;
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      await pool.end();
    },
  };
}

/** The connection string with its password replaced, for logs and messages. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    for (const key of [...u.searchParams.keys()]) if (/pass/i.test(key)) u.searchParams.set(key, "***");
    return u.toString();
  } catch {
    return "(unparsable database URL)";
  }
}
