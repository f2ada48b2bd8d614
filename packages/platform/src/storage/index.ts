export type { Store, Transaction, Documents, LeasedTask, Secret } from "./store.js";
export { createStore } from "./store.js";
export type {
  StorageBackend,
  AuditRecord,
  AuditFilter,
  NewAuditRecord,
  QueueEntry,
  DocumentKind,
} from "./backend.js";
export { openSqliteBackend } from "./sqlite.js";
export { createSealer, deriveKey, type Sealer } from "./sealer.js";
export { keyedAuditChain, verifyAuditChain, type AuditChain } from "./audit-hash.js";
export {
  openPostgresBackend,
  redactDatabaseUrl,
  POSTGRES_DEFAULTS,
  type PostgresOptions,
} from "./postgres.js";
export { openBackend, isDatabaseUrl, type BackendSettings } from "./open.js";
