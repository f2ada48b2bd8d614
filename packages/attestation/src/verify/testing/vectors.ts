// Test support: the real attestation vectors kept in src/verify/testdata (copies of the public
// vectors described in testdata/README.md), with the validity windows their collateral allows.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// Compiled to dist/verify/testing/: the data stays in the source tree.
const DIR = fileURLToPath(new URL("../../../src/verify/testdata/", import.meta.url));

export function vectorPath(name: string): string {
  return `${DIR}${name}`;
}

export function readVector(name: string): Buffer {
  return readFileSync(vectorPath(name));
}

export const VECTORS = {
  sgx: {
    quote: "sgx/dcapqvl_sgx_quote.bin",
    collateral: "sgx/dcapqvl_sgx_quote_collateral.json",
    /** Inside every collateral item's window (README: 2025-06-19T10:56:11Z .. 2025-07-19T10:01:18Z). */
    now: new Date("2025-07-01T00:00:00Z"),
    windowStart: new Date("2025-06-19T10:56:11Z"),
    windowEnd: new Date("2025-07-19T10:01:18Z"),
    mrenclave: "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb",
    status: "ConfigurationAndSWHardeningNeeded",
    advisoryIds: ["INTEL-SA-00289", "INTEL-SA-00615"],
  },
  tdx: {
    quote: "tdx/dcapqvl_tdx_quote_v4.bin",
    collateral: "tdx/dcapqvl_tdx_quote_v4_collateral.json",
    now: new Date("2025-07-01T00:00:00Z"),
    windowStart: new Date("2025-06-19T10:32:27Z"),
    windowEnd: new Date("2025-07-19T10:00:35Z"),
    mrtd: "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7",
    status: "UpToDate",
    advisoryIds: [] as string[],
  },
  snp: {
    reportHex: "sev-snp/virtee_report_milan.hex",
    vcek: "sev-snp/virtee_vcek_milan.der",
    chain: "sev-snp/virtee_cert_chain_milan.pem",
    /** The VCEK is valid 2023-04-03 .. 2030-04-03. */
    now: new Date("2025-01-01T00:00:00Z"),
  },
  roots: {
    intel: "roots/intel_sgx_root_ca.pem",
    intelTest: "roots/intel_qvl_sample_TEST_root_2018-12.pem",
  },
} as const;

export function snpReport(): Buffer {
  return Buffer.from(readVector(VECTORS.snp.reportHex).toString("latin1").trim(), "hex");
}
