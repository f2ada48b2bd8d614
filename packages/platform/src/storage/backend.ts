// The storage backend: a transactional store of sealed documents, the durable task queue and the audit
// log. Narrow on purpose, so that SQLite (embedded) and PostgreSQL (scale-out) implement the same thing.
// Values are opaque bytes here; sealing and typing happen in store.ts.

import type { AuditChain } from "./audit-hash.js";

export type DocumentKind =
  | "user"
  | "input"
  | "output"
  | "function"
  | "function_lists"
  | "task"
  | "secret"
  /** The sealed head of the audit log (its last record's seq and MAC). */
  | "audit_head";

export interface QueueEntry {
  readonly taskId: string;
  /** Sealed StagedTask. */
  readonly payload: Uint8Array;
  readonly attempts: number;
  readonly enqueuedAt: number;
  /** Worker holding the lease, if any. */
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: number | null;
}

export interface AuditRecord {
  readonly seq: number;
  /** Microseconds since the epoch. */
  readonly timeMicros: number;
  /** 16 bytes, IPv6 (IPv4 mapped). */
  readonly ip: Uint8Array;
  readonly user: string;
  readonly role: string;
  readonly api: string;
  readonly object: string;
  readonly allowed: boolean;
  /** Reason for a refusal or failure; empty when the call succeeded. */
  readonly error: string;
  /** SHA-256 chain over the previous record's hash and this record (tamper evidence). */
  readonly hash: string;
}

export type NewAuditRecord = Omit<AuditRecord, "seq" | "hash">;

export interface AuditFilter {
  readonly user?: string;
  readonly api?: string;
  readonly object?: string;
  readonly allowed?: boolean;
  /** Case-insensitive substrings that must all occur in "api object error". */
  readonly words?: readonly string[];
  readonly sinceMicros?: number;
  readonly untilMicros?: number;
}

export interface BackendTransaction {
  get(kind: DocumentKind, id: string): Promise<Uint8Array | undefined>;
  /** Fails with ALREADY_EXISTS if the document exists. */
  insert(kind: DocumentKind, id: string, value: Uint8Array): Promise<void>;
  /** Fails with NOT_FOUND if the document does not exist. */
  update(kind: DocumentKind, id: string, value: Uint8Array): Promise<void>;
  delete(kind: DocumentKind, id: string): Promise<boolean>;
  list(kind: DocumentKind): Promise<Array<{ id: string; value: Uint8Array }>>;
  count(kind: DocumentKind): Promise<number>;

  enqueue(taskId: string, payload: Uint8Array, now: number): Promise<void>;
  dequeue(taskId: string): Promise<boolean>;
  queueEntry(taskId: string): Promise<QueueEntry | undefined>;
  /** Leases the oldest entry that is unleased or whose lease expired; increments its attempts. */
  lease(worker: string, now: number, leaseMs: number): Promise<QueueEntry | undefined>;
  /** Extends a lease the worker still holds; false if it lost it. */
  renewLease(taskId: string, worker: string, now: number, leaseMs: number): Promise<boolean>;
  /** Entries whose lease expired before `now`. */
  expiredLeases(now: number): Promise<QueueEntry[]>;
  /** Clears a lease so the entry can be leased again. */
  releaseLease(taskId: string): Promise<void>;
  queueLength(): Promise<number>;

  /** Appends after the current head; `chain` computes the record's MAC from the head's. */
  appendAudit(record: NewAuditRecord, chain: AuditChain): Promise<AuditRecord>;
  queryAudit(filter: AuditFilter, limit: number): Promise<AuditRecord[]>;
  auditChain(): Promise<AuditRecord[]>;
}

export interface StorageBackend {
  /** Runs `fn` atomically and in isolation from every other transaction. */
  transaction<T>(fn: (tx: BackendTransaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
