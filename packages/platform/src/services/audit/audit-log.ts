// The audit log: one entry for every API call (who, what, which object, allowed or refused, when),
// append-only and hash-chained in the store. Only PlatformAdmin reads it (QueryAuditLogs).
import { isIPv4, isIPv6 } from "node:net";
import type { Clock } from "../../clock.js";
import { invalidArgument } from "../../errors.js";
import type { AuditFilter, AuditRecord, NewAuditRecord, Store } from "../../storage/index.js";

export interface AuditEvent {
  readonly ip: string | undefined;
  readonly user: string;
  readonly role: string;
  readonly api: string;
  readonly object: string;
  readonly allowed: boolean;
  readonly error: string;
}

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 10_000;
const MAX_QUERY_LENGTH = 1024;

/** IPv6 bytes for an address; IPv4 becomes IPv4-mapped IPv6; unknown becomes ::. */
export function ipBytes(address: string | undefined): Buffer {
  const out = Buffer.alloc(16);
  if (!address) return out;
  if (isIPv4(address)) {
    out[10] = 0xff;
    out[11] = 0xff;
    address.split(".").forEach((p, i) => (out[12 + i] = Number(p)));
    return out;
  }
  if (!isIPv6(address)) return out;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = ipBytes(v4[1]);
    text = `${text.slice(0, -v4[1].length)}${b.readUInt16BE(12).toString(16)}:${b.readUInt16BE(14).toString(16)}`;
  }
  const [head = "", tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = text.includes("::") && tail ? tail.split(":") : [];
  const groups = text.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) || 0, i * 2));
  return out;
}

/**
 * Parses a query: whitespace-separated terms that must all match. `*` matches everything;
 * `user:ID`, `api:NAME`, `object:ID`, `result:true|false` match a field exactly; any other word matches
 * the api, object, user or error text case-insensitively.
 */
export function parseAuditQuery(query: string): AuditFilter {
  if (query.length > MAX_QUERY_LENGTH)
    throw invalidArgument(`query is longer than ${MAX_QUERY_LENGTH} characters`);
  const filter: { -readonly [K in keyof AuditFilter]: AuditFilter[K] } = {};
  const words: string[] = [];
  for (const term of query.split(/\s+/).filter((t) => t && t !== "*")) {
    const m = /^(user|api|object|result|message):(.+)$/.exec(term);
    if (!m) {
      words.push(term);
      continue;
    }
    const [, field, value = ""] = m;
    if (field === "user") filter.user = value;
    else if (field === "api") filter.api = value;
    else if (field === "object") filter.object = value;
    else if (field === "message") words.push(value);
    else if (value === "true" || value === "false") filter.allowed = value === "true";
    else throw invalidArgument("result: must be true or false");
  }
  if (words.length) filter.words = words;
  return filter;
}

export class AuditLog {
  private pending: Array<{ record: NewAuditRecord; done: () => void; failed: (e: unknown) => void }> = [];
  private flushing = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /**
   * Appends an entry; resolves once it is committed. Entries recorded while a commit is in flight are
   * committed together in the next transaction (group commit): one disk sync for many concurrent calls,
   * and still no call is answered before its entry is durable.
   */
  record(event: AuditEvent): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.pending.push({
        record: {
          timeMicros: this.clock.now() * 1000,
          ip: ipBytes(event.ip),
          user: event.user,
          role: event.role,
          api: event.api,
          object: event.object,
          allowed: event.allowed,
          error: event.error,
        },
        done,
        failed,
      });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.transaction(async (tx) => {
          for (const entry of batch) await tx.appendAudit(entry.record);
        });
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.failed(error);
      }
    }
    this.flushing = false;
  }

  /** Newest first. */
  async query(query: string, limit: bigint): Promise<AuditRecord[]> {
    const filter = parseAuditQuery(query);
    const n =
      limit === 0n ? DEFAULT_AUDIT_LIMIT : Number(limit > BigInt(MAX_AUDIT_LIMIT) ? MAX_AUDIT_LIMIT : limit);
    return this.store.transaction((tx) => tx.queryAudit(filter, n));
  }

  /** The seq of the first tampered record, or null when the chain is intact. */
  async verify(): Promise<number | null> {
    return this.store.transaction((tx) => tx.verifyAudit());
  }
}

/** Teaclave's Entry.message: the API name, then the object, then the reason for a refusal. */
export function auditMessage(r: AuditRecord): string {
  const head = r.object ? `${r.api} ${r.object}` : r.api;
  return r.error ? `${head}: ${r.error}` : head;
}
