// The audit log is a hash chain: each record's hash covers the previous hash and the record's fields,
// so deleting or editing a record breaks every later hash.
import { createHash } from "node:crypto";
import type { AuditRecord, NewAuditRecord } from "./backend.js";

export const AUDIT_GENESIS = "0".repeat(64);

export function auditHash(previous: string, seq: number, r: NewAuditRecord): string {
  const fields = [
    previous,
    String(seq),
    String(r.timeMicros),
    Buffer.from(r.ip).toString("hex"),
    r.user,
    r.role,
    r.api,
    r.object,
    r.allowed ? "1" : "0",
    r.error,
  ];
  // Length-prefix every field so no two different records serialize the same way.
  const h = createHash("sha256");
  for (const f of fields) {
    const b = Buffer.from(f, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    h.update(len).update(b);
  }
  return h.digest("hex");
}

/** Returns the seq of the first record whose hash does not match, or null if the chain is intact. */
export function verifyAuditChain(records: readonly AuditRecord[]): number | null {
  let previous = AUDIT_GENESIS;
  for (const r of records) {
    if (auditHash(previous, r.seq, r) !== r.hash) return r.seq;
    previous = r.hash;
  }
  return null;
}
