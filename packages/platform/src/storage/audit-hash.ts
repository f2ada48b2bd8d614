// The audit log is a keyed hash chain: each record's MAC covers the previous MAC and the record's fields,
// so deleting or editing a record breaks every later MAC. The key is derived from the platform key, which
// only the attested services hold: whoever controls the database (the operator, say) cannot recompute
// the chain after editing it. The store also keeps a sealed copy of the chain's head, so that cutting
// records off the end is detected too.
import { createHmac } from "node:crypto";
import type { AuditRecord, NewAuditRecord } from "./backend.js";

export const AUDIT_GENESIS = "0".repeat(64);

/** The MAC of record `seq` after `previous`: what a backend stores as the record's hash. */
export type AuditChain = (previous: string, seq: number, record: NewAuditRecord) => string;

export function keyedAuditChain(key: Uint8Array): AuditChain {
  if (key.length < 32) throw new Error("the audit chain key must be at least 32 bytes");
  return (previous, seq, r) => {
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
    const mac = createHmac("sha256", key);
    for (const f of fields) {
      const b = Buffer.from(f, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(b.length);
      mac.update(len).update(b);
    }
    return mac.digest("hex");
  };
}

/** Returns the seq of the first record whose MAC does not match, or null if the chain is intact. */
export function verifyAuditChain(records: readonly AuditRecord[], chain: AuditChain): number | null {
  let previous = AUDIT_GENESIS;
  for (const r of records) {
    if (chain(previous, r.seq, r) !== r.hash) return r.seq;
    previous = r.hash;
  }
  return null;
}
