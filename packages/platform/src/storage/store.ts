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
import { keyedAuditChain, verifyAuditChain } from "./audit-hash.js";
import type { Sealer } from "./sealer.js";

/** The one audit_head document: the sealed copy of the audit log's last record, updated with every append. */
const AUDIT_HEAD = "head";

export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

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
  audit_head: AuditHead;
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
  /**
   * Checks the audit log: every record's MAC, and that its last record is the head the store sealed
   * when it appended it (so records cut off the end are noticed). Returns the seq of the first record
   * that is wrong or missing, or null when the log is intact.
   */
  verifyAudit(): Promise<number | null>;
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
  const chain = keyedAuditChain(sealer.subkey("audit-chain-v1"));
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
    async appendAudit(record) {
      const appended = await b.appendAudit(record, chain);
      const head = seal(docAad("audit_head", AUDIT_HEAD), { seq: appended.seq, hash: appended.hash });
      if (await b.get("audit_head", AUDIT_HEAD)) await b.update("audit_head", AUDIT_HEAD, head);
      else await b.insert("audit_head", AUDIT_HEAD, head);
      return appended;
    },
    queryAudit: (filter, limit) => b.queryAudit(filter, limit),
    async verifyAudit() {
      const records = await b.auditChain();
      const broken = verifyAuditChain(records, chain);
      if (broken !== null) return broken;
      const raw = await b.get("audit_head", AUDIT_HEAD);
      const head = raw && open<AuditHead>(docAad("audit_head", AUDIT_HEAD), raw);
      const last = records.at(-1);
      if (!head) return last ? records[0]!.seq : null;
      if (last?.seq !== head.seq || last.hash !== head.hash) return (last?.seq ?? 0) + 1;
      return null;
    },
  });

  return {
    transaction: (fn) => backend.transaction((b) => fn(wrap(b))),
    close: () => backend.close(),
  };
}
