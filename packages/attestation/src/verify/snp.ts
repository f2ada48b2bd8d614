// SEV-SNP report verification (spec attestation.md §4.1): ARK (pinned per product) → ASK → VCEK,
// all RSASSA-PSS SHA-384; the VCEK's TCB and hardware-id extensions must describe this report;
// then the report's ECDSA P-384 signature. Policy decisions (measurement, VMPL, guest policy bits,
// minimum TCB) are left to the policy layer.

import { verify as cryptoVerify } from "node:crypto";
import { AttestationError } from "../errors.js";
import type { SnpClaims, SnpProduct } from "../types.js";
import { asBuffer, readU32, toHex } from "./bytes.js";
import { parseCertificate, splitPem, type Certificate } from "./certificate.js";
import { verifyChain, type TrustAnchor } from "./chain.js";
import { parseCrl, type Crl } from "./crl.js";
import { decodeSmallUint, decodeString, parseDer } from "../der.js";
import { asObject, asString, child, field, parseJsonText } from "./json-fields.js";
import { AMD_ARK_SHA256, AMD_CERT_CHAIN_PEM } from "./roots.js";
import {
  decodeSnpTcb,
  parseSnpReport,
  productFromCpuid,
  SNP_POLICY,
  type ParsedSnpReport,
} from "./snp-report.js";
import { checkNow } from "./dcap.js";

const PRODUCTS: readonly SnpProduct[] = ["Milan", "Genoa", "Turin"];
const AMD_OID = "1.3.6.1.4.1.3704.1";

/** VCEK and (optionally) ASK, ARK and the AMD CRL, as DER. */
export interface SnpCollateral {
  vcek?: Uint8Array;
  ask?: Uint8Array;
  ark?: Uint8Array;
  crl?: Uint8Array;
}

export interface VerifySnpOptions {
  now: Date;
  collateral?: SnpCollateral | null;
  /** The configfs-tsm auxblob (certificate table); VCEK/ASK/ARK are taken from it when present. */
  aux?: Uint8Array | null;
  /** Pinned ARK fingerprints per product (default: AMD's). */
  arkSha256?: Partial<Record<SnpProduct, string>>;
  /** Refuse without an AMD CRL (default false). */
  requireCrl?: boolean;
}

export interface VerifiedSnpReport {
  report: ParsedSnpReport;
  claims: SnpClaims;
  anchor: TrustAnchor;
  chain: Certificate[];
}

const GUIDS: Record<string, keyof SnpCollateral> = {
  "63da758de6644564adc5f4b93be8accd": "vcek",
  "4ab7b379bbac4fe4a02f05aef327c782": "ask",
  c0b406a4a803495297433fb6014cd0ae: "ark",
};

/**
 * Parses an SNP certificate table (configfs-tsm `auxblob`): 24-byte entries {GUID, offset u32,
 * length u32} ended by an all-zero entry; offsets are from the start of the table.
 */
export function parseSnpCertTable(aux: Uint8Array): SnpCollateral {
  const out: SnpCollateral = {};
  for (let pos = 0; ; pos += 24) {
    if (pos + 24 > aux.length)
      throw new AttestationError("MALFORMED_EVIDENCE", "SNP certificate table is not terminated");
    const guid = toHex(aux.subarray(pos, pos + 16));
    const offset = readU32(aux, pos + 16);
    const length = readU32(aux, pos + 20);
    if (/^0+$/.test(guid) && offset === 0 && length === 0) return out;
    if (offset + length > aux.length || length === 0)
      throw new AttestationError("MALFORMED_EVIDENCE", "SNP certificate table entry is out of bounds");
    const name = GUIDS[guid];
    // Other entries (VLEK, vendor-specific) are skipped: VLEK-signed reports are refused earlier.
    if (name) out[name] = aux.subarray(offset, offset + length);
  }
}

function derOrPem(value: string, what: string): Buffer {
  if (value.includes("-----BEGIN")) {
    const [der] = splitPem(value, what);
    if (!der) throw new AttestationError("COLLATERAL_INVALID", `${what} holds no certificate`);
    return der;
  }
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(value))
    throw new AttestationError("COLLATERAL_INVALID", `${what} is neither PEM nor hex DER`);
  return Buffer.from(value, "hex");
}

/**
 * Reads SNP collateral: a JSON bundle `{"vcek": PEM|hex, "cert_chain"?: PEM (ASK then ARK),
 * "crl"?: hex DER}`, or a VCEK certificate alone (PEM or DER).
 */
export function parseSnpCollateral(input: Uint8Array | string): SnpCollateral {
  const text = typeof input === "string" ? input : asBuffer(input).toString("latin1");
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    const f = field("COLLATERAL_INVALID", "snpCollateral");
    const o = asObject(parseJsonText(trimmed, f), f, ["vcek", "cert_chain", "crl"]);
    const out: SnpCollateral = {
      vcek: derOrPem(asString(o.vcek, child(f, "vcek"), 1 << 20), "snpCollateral.vcek"),
    };
    if (o.cert_chain !== undefined) {
      const chain = splitPem(
        asString(o.cert_chain, child(f, "cert_chain"), 1 << 20),
        "snpCollateral.cert_chain",
      );
      if (chain.length !== 2)
        throw new AttestationError(
          "COLLATERAL_INVALID",
          "snpCollateral.cert_chain must hold the ASK then the ARK",
        );
      [out.ask, out.ark] = chain;
    }
    if (o.crl !== undefined)
      out.crl = derOrPem(asString(o.crl, child(f, "crl"), 1 << 22), "snpCollateral.crl");
    return out;
  }
  if (trimmed.startsWith("-----BEGIN")) return { vcek: derOrPem(trimmed, "VCEK") };
  return { vcek: typeof input === "string" ? Buffer.from(input, "latin1") : asBuffer(input) };
}

interface VcekFields {
  product: SnpProduct | null;
  spl: Map<number, number>;
  hwid: Uint8Array | null;
}

function vcekFields(vcek: Certificate): VcekFields {
  const what = "VCEK extension";
  const spl = new Map<number, number>();
  let product: SnpProduct | null = null;
  let hwid: Uint8Array | null = null;
  for (const [oid, ext] of vcek.extensions) {
    if (!oid.startsWith(`${AMD_OID}.`)) continue;
    const suffix = oid.slice(AMD_OID.length + 1);
    if (suffix === "2") {
      const name = decodeString(parseDer(ext.value, what), what);
      product = PRODUCTS.find((p) => name.startsWith(p)) ?? null;
    } else if (suffix.startsWith("3.")) {
      spl.set(Number(suffix.slice(2)), decodeSmallUint(parseDer(ext.value, what), what));
    } else if (suffix === "4") {
      // The hardware id is stored as the raw bytes of the extension value, not DER-wrapped.
      hwid = ext.value;
    }
  }
  return { product, spl, hwid };
}

function cert(der: Uint8Array | undefined, what: string): Certificate | undefined {
  return der ? parseCertificate(der, what) : undefined;
}

export function verifySnpReport(raw: Uint8Array, options: VerifySnpOptions): VerifiedSnpReport {
  const now = checkNow(options.now);
  const report = parseSnpReport(raw);
  if (report.signingKey === "none")
    throw new AttestationError(
      "UNSUPPORTED_EVIDENCE",
      "the SEV-SNP report is not signed (SIGNING_KEY = none)",
    );
  if (report.signingKey === "vlek")
    throw new AttestationError(
      "UNSUPPORTED_EVIDENCE",
      "VLEK-signed SEV-SNP reports are not supported; supply a VCEK-signed report",
    );

  const fromAux = options.aux && options.aux.length > 0 ? parseSnpCertTable(options.aux) : {};
  const supplied: SnpCollateral = { ...fromAux, ...(options.collateral ?? {}) };
  const vcek = cert(supplied.vcek, "VCEK");
  if (!vcek)
    throw new AttestationError(
      "COLLATERAL_MISSING",
      "the VCEK certificate is required to verify an SEV-SNP report",
    );
  const fields = vcekFields(vcek);
  const cpuProduct = productFromCpuid(report.cpuid);
  if (fields.product && cpuProduct && fields.product !== cpuProduct) {
    throw new AttestationError(
      "CHAIN_INVALID",
      `the VCEK is for ${fields.product}, the report's CPUID says ${cpuProduct}`,
    );
  }
  const product = fields.product ?? cpuProduct;
  if (!product)
    throw new AttestationError(
      "CHAIN_INVALID",
      "cannot tell the AMD product (no VCEK product name, no CPUID in the report)",
    );

  const pins = { ...AMD_ARK_SHA256, ...(options.arkSha256 ?? {}) };
  const anchors = new Map<string, TrustAnchor>();
  const sha = pins[product].toLowerCase();
  anchors.set(sha, { sha256: sha, kind: "amd", label: `AMD ARK-${product}` });
  const builtIn = splitPem(AMD_CERT_CHAIN_PEM[product], `AMD ${product} chain`);
  const ask = cert(supplied.ask, "ASK") ?? parseCertificate(builtIn[0]!, `ASK-${product}`);
  const ark = cert(supplied.ark, "ARK") ?? parseCertificate(builtIn[1]!, `ARK-${product}`);
  const crls: Crl[] = [];
  if (supplied.crl) crls.push(parseCrl(supplied.crl, "AMD CRL"));
  else if (options.requireCrl) throw new AttestationError("COLLATERAL_MISSING", "the AMD CRL is required");
  if (crls[0] && !crls[0].issuer.equals(ark.subject))
    throw new AttestationError("COLLATERAL_INVALID", "the AMD CRL was not issued by the ARK");
  const chain = verifyChain([vcek, ask, ark], { now, anchors, crls, what: "VCEK certificate chain" });
  if (vcek.ca) throw new AttestationError("CHAIN_INVALID", "the VCEK must not be a CA certificate");

  // The VCEK is derived for one chip at one TCB: its extensions must describe this report.
  const reported = decodeSnpTcb(report.reportedTcb, product);
  const expectSpl: [number, number | null, string][] = [
    [1, reported.bootloader, "bootloader"],
    [2, reported.tee, "TEE"],
    [3, reported.snp, "SNP"],
    [8, reported.microcode, "microcode"],
  ];
  if (product === "Turin") expectSpl.push([9, reported.fmc, "FMC"]);
  for (const [n, value, name] of expectSpl) {
    const got = fields.spl.get(n);
    if (got !== value)
      throw new AttestationError(
        "CHAIN_INVALID",
        `the VCEK's ${name} SPL (${got ?? "absent"}) differs from the report's REPORTED_TCB (${value})`,
      );
  }
  if (!report.maskChipKey) {
    const chipId = product === "Turin" ? report.chipId.subarray(0, 8) : report.chipId;
    if (!fields.hwid || !asBuffer(fields.hwid).equals(asBuffer(chipId))) {
      throw new AttestationError("CHAIN_INVALID", "the VCEK's hardware id differs from the report's CHIP_ID");
    }
  }
  if (
    !cryptoVerify(
      "sha384",
      report.signedRegion,
      { key: vcek.x509.publicKey, dsaEncoding: "ieee-p1363" },
      report.signature,
    )
  ) {
    throw new AttestationError(
      "BAD_SIGNATURE",
      "the SEV-SNP report signature does not verify under the VCEK",
    );
  }

  const claims: SnpClaims = {
    product,
    version: report.version,
    guestSvn: report.guestSvn,
    policy: report.policyHex,
    policyFlags: {
      debug: (report.policy & SNP_POLICY.DEBUG) !== 0n,
      migrateMA: (report.policy & SNP_POLICY.MIGRATE_MA) !== 0n,
      smt: (report.policy & SNP_POLICY.SMT) !== 0n,
      singleSocket: (report.policy & SNP_POLICY.SINGLE_SOCKET) !== 0n,
    },
    familyId: report.familyId,
    imageId: report.imageId,
    vmpl: report.vmpl,
    measurement: report.measurement,
    hostData: report.hostData,
    idKeyDigest: report.idKeyDigest,
    authorKeyDigest: report.authorKeyDigest,
    reportId: report.reportId,
    chipId: toHex(report.chipId),
    reportedTcb: reported,
    currentTcb: decodeSnpTcb(report.currentTcb, product),
    committedTcb: decodeSnpTcb(report.committedTcb, product),
    launchTcb: decodeSnpTcb(report.launchTcb, product),
    signingKey: "vcek",
  };
  return { report, claims, anchor: chain.anchor, chain: chain.certs };
}
