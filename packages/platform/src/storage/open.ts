// The one place that picks the storage backend: PostgreSQL when a database URL is configured (services in
// many processes and hosts share it), else the embedded SQLite file in the data directory.
import type { StorageBackend } from "./backend.js";
import { openPostgresBackend, type PostgresOptions } from "./postgres.js";
import { openSqliteBackend } from "./sqlite.js";

export interface BackendSettings {
  /** postgres:// or postgresql:// URL; absent: SQLite at `sqlitePath`. */
  readonly databaseUrl?: string;
  readonly postgres?: PostgresOptions;
  readonly sqlitePath: string;
}

export async function openBackend(settings: BackendSettings): Promise<StorageBackend> {
  if (settings.databaseUrl) return openPostgresBackend(settings.databaseUrl, settings.postgres);
  return openSqliteBackend(settings.sqlitePath);
}

/** True for the URL forms the PostgreSQL backend accepts. */
export function isDatabaseUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === "postgres:" || u.protocol === "postgresql:") && u.pathname.length > 1;
  } catch {
    return false;
  }
}
