// Typed, sealed view of the storage backend: every document is JSON sealed with the platform key, bound
// to its kind and id, so the database file alone reveals no payload, key, password hash or result.
import { PlatformError } from "../errors.js";
import type { FileCrypto, InputFile, OutputFile } from "../domain/files.js";
import type { FunctionLists, FunctionRecord } from "../domain/functions.js";
import type { StagedTask, Task } from "../domain/tasks.js";
import type { User } from "../domain/users.js";
import type {
  AuditFilter,
  AuditRecord,
  BackendTransaction,
  DocumentKind,
  NewAuditRecord,
  QueueEntry,
  StorageBackend,
} from "./backend.js";
import type { Sealer } from "./sealer.js";

export interface Secret {
  readonly value: string;
}

export interface FusionKey {
  readonly crypto: FileCrypto;
}

export interface Documents {
  user: User;
  input: InputFile;
  output: OutputFile;
  function: FunctionRecord;
  function_lists: FunctionLists;
  task: Task;
  secret: Secret;
}

export interface LeasedTask {
  readonly entry: QueueEntry;
  readonly staged: StagedTask;
}

export interface Transaction {
  get<K extends DocumentKind>(kind: K, id: string): Promise<Documents[K] | undefined>;
  insert<K extends DocumentKind>(kind: K, id: string, value: Documents[K]): Promise<void>;
  update<K extends DocumentKind>(kind: K, id: string, value: Documents[K]): Promise<void>;
  delete(kind: DocumentKind, id: string): Promise<boolean>;
  list<K extends DocumentKind>(kind: K): Promise<Array<Documents[K]>>;
  count(kind: DocumentKind): Promise<number>;

  enqueue(staged: StagedTask, now: number): Promise<void>;
  dequeue(taskId: string): Promise<boolean>;
  queueEntry(taskId: string): Promise<QueueEntry | undefined>;
  lease(worker: string, now: number, leaseMs: number): Promise<LeasedTask | undefined>;
  renewLease(taskId: string, worker: string, now: number, leaseMs: number): Promise<boolean>;
  expiredLeases(now: number): Promise<QueueEntry[]>;
  releaseLease(taskId: string): Promise<void>;
  queueLength(): Promise<number>;

  appendAudit(record: NewAuditRecord): Promise<AuditRecord>;
  queryAudit(filter: AuditFilter, limit: number): Promise<AuditRecord[]>;
  auditChain(): Promise<AuditRecord[]>;
}

export interface Store {
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function createStore(backend: StorageBackend, sealer: Sealer): Store {
  const seal = (aad: string, value: unknown) => sealer.seal(Buffer.from(JSON.stringify(value), "utf8"), aad);
  const open = <T>(aad: string, sealed: Uint8Array): T => {
    try {
      return JSON.parse(sealer.open(sealed, aad).toString("utf8")) as T;
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      throw new PlatformError("INTERNAL", `record ${aad} is corrupt`, { cause: error });
    }
  };
  const docAad = (kind: string, id: string) => `doc:${kind}:${id}`;
  const queueAad = (taskId: string) => `queue:${taskId}`;

  const wrap = (b: BackendTransaction): Transaction => ({
    async get(kind, id) {
      const raw = await b.get(kind, id);
      return raw && open(docAad(kind, id), raw);
    },
    insert: (kind, id, value) => b.insert(kind, id, seal(docAad(kind, id), value)),
    update: (kind, id, value) => b.update(kind, id, seal(docAad(kind, id), value)),
    delete: (kind, id) => b.delete(kind, id),
    async list(kind) {
      return (await b.list(kind)).map((r) => open(docAad(kind, r.id), r.value));
    },
    count: (kind) => b.count(kind),
    enqueue: (staged, now) => b.enqueue(staged.taskId, seal(queueAad(staged.taskId), staged), now),
    dequeue: (taskId) => b.dequeue(taskId),
    queueEntry: (taskId) => b.queueEntry(taskId),
    async lease(worker, now, leaseMs) {
      const entry = await b.lease(worker, now, leaseMs);
      return entry && { entry, staged: open<StagedTask>(queueAad(entry.taskId), entry.payload) };
    },
    renewLease: (taskId, worker, now, leaseMs) => b.renewLease(taskId, worker, now, leaseMs),
    expiredLeases: (now) => b.expiredLeases(now),
    releaseLease: (taskId) => b.releaseLease(taskId),
    queueLength: () => b.queueLength(),
    appendAudit: (record) => b.appendAudit(record),
    queryAudit: (filter, limit) => b.queryAudit(filter, limit),
    auditChain: () => b.auditChain(),
  });

  return {
    transaction: (fn) => backend.transaction((b) => fn(wrap(b))),
    close: () => backend.close(),
  };
}
