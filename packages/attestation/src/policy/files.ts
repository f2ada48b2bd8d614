// A signed policy as files in a directory (what a platform writes for its clients):
//   policy.json, policy.json.<auditor>.sig, auditors/<auditor>.pub.pem
// Loading verifies that every listed auditor signed the exact bytes, then parses the policy.
import { createPublicKey } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AttestationError } from "../errors.js";
import { parsePolicy, type Policy } from "./schema.js";
import { verifySignedPolicy } from "./signatures.js";

export const POLICY_FILES = {
  policy: "policy.json",
  auditorsDir: "auditors",
  signature: (auditor: string) => `policy.json.${auditor}.sig`,
  publicKey: (auditor: string) => `${auditor}.pub.pem`,
} as const;

export interface LoadedPolicy {
  readonly policy: Policy;
  readonly bytes: Buffer;
  /** Fingerprints of the auditor keys that signed it. */
  readonly signers: readonly string[];
}

/**
 * Loads `dir`'s policy, requiring signatures by at least `threshold` distinct auditors among the keys in
 * `dir/auditors` (default: all of them). Pass `auditorKeysPem` to pin the auditors instead of trusting
 * the directory's copies.
 */
export function loadSignedPolicyDir(
  dir: string,
  options: { threshold?: number; auditorKeysPem?: readonly string[] } = {},
): LoadedPolicy {
  try {
    const bytes = readFileSync(join(dir, POLICY_FILES.policy));
    const auditorDir = join(dir, POLICY_FILES.auditorsDir);
    const names = readdirSync(auditorDir)
      .filter((n) => n.endsWith(".pub.pem"))
      .map((n) => n.slice(0, -".pub.pem".length))
      .sort();
    const keys =
      options.auditorKeysPem ??
      names.map((n) => readFileSync(join(auditorDir, POLICY_FILES.publicKey(n)), "utf8"));
    const signatures = names.flatMap((n) => {
      try {
        return [readFileSync(join(dir, POLICY_FILES.signature(n)))];
      } catch {
        return [];
      }
    });
    const check = verifySignedPolicy(
      bytes,
      signatures,
      keys.map((k) => createPublicKey(k)),
      options.threshold ?? keys.length,
    );
    return { policy: parsePolicy(bytes), bytes, signers: check.signers };
  } catch (error) {
    if (error instanceof AttestationError) throw error;
    throw new AttestationError(
      "POLICY_INVALID",
      `cannot load the policy in ${dir}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
