// Test support: a whole DCAP "platform" under a test root: PKI, quotes and signed collateral.
// `kind: "simulation"` builds what the simulation backend produces (MesaTEE names, the simulation QE
// vendor id, DEBUG set by default); `kind: "intel-like"` copies Intel's names and vendor id under a
// different key, which is exactly what a verifier must not be fooled by unless it pins that root.

import { createHash, sign } from "node:crypto";
import * as der from "../../der.js";
import type { CollateralBundle } from "../collateral.js";
import { INTEL_QE_IDENTITY, INTEL_QE_VENDOR_ID, SIMULATION_QE_VENDOR_ID } from "../roots.js";
import {
  createTestCrl,
  createTestRoot,
  issueTestCert,
  validFor,
  loadX509,
  type TestCert,
  type Validity,
} from "./pki.js";
import { buildQuote, type BuildQuoteOptions } from "./quote-builder.js";

const SGX_OID = "1.2.840.113741.1.13.1";

export interface PlatformTcb {
  /** 16 SGX TCB component SVNs (also CPUSVN). */
  components: number[];
  pceSvn: number;
  fmspc: string;
  pceId: string;
}

export const DEFAULT_PLATFORM_TCB: PlatformTcb = {
  components: [3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0],
  pceSvn: 13,
  fmspc: "00906ed50000",
  pceId: "0000",
};

export function encodeSgxExtension(
  tcb: PlatformTcb,
  ppid: Uint8Array = createHash("sha256").update("ppid").digest().subarray(0, 16),
): Buffer {
  const arc = (suffix: string): Buffer => der.oid(`${SGX_OID}.${suffix}`);
  const comps: Buffer[] = tcb.components.map((svn, i) => der.seq(arc(`2.${i + 1}`), der.integer(svn)));
  comps.push(der.seq(arc("2.17"), der.integer(tcb.pceSvn)));
  comps.push(der.seq(arc("2.18"), der.octets(Buffer.from(tcb.components))));
  return der.seq(
    der.seq(arc("1"), der.octets(ppid)),
    der.seq(arc("2"), der.seq(...comps)),
    der.seq(arc("3"), der.octets(Buffer.from(tcb.pceId, "hex"))),
    der.seq(arc("4"), der.octets(Buffer.from(tcb.fmspc, "hex"))),
    der.seq(arc("5"), der.enumerated(0)),
  );
}

export interface PlatformOptions {
  now: Date;
  kind?: "simulation" | "intel-like";
  tcb?: Partial<PlatformTcb>;
  /** Validity of the PCK leaf (default: 7 years from an hour before `now`). */
  pckValidity?: Validity;
  /** Issue the PCK leaf under the Platform CA name instead of the Processor CA. */
  platformCa?: boolean;
}

export interface CollateralOptions {
  tee: "sgx" | "tdx";
  issueDate: Date;
  nextUpdate: Date;
  /** TCB info `tcbLevels` as Intel serves them; default one UpToDate level equal to the platform's TCB. */
  tcbLevels?: unknown[];
  tdxModule?: unknown;
  tdxModuleIdentities?: unknown[];
  tcbEvaluationDataNumber?: number;
  /** Fields merged over the default QE identity (matching the builder's QE report). */
  qeIdentity?: Record<string, unknown>;
  revokePck?: boolean;
  revokePckCa?: boolean;
  /** List the TCB signing certificate on the root CA CRL. */
  revokeTcbSigning?: boolean;
  /** CRL window (default: issueDate .. nextUpdate). */
  crlThisUpdate?: Date;
  crlNextUpdate?: Date;
  /** Leave the CRLs out of the bundle. */
  omitCrls?: boolean;
}

export class TestDcapPlatform {
  private constructor(
    readonly kind: "simulation" | "intel-like",
    readonly root: TestCert,
    readonly pckCa: TestCert,
    readonly pck: TestCert,
    readonly tcbSigning: TestCert,
    readonly tcb: PlatformTcb,
  ) {}

  static async create(options: PlatformOptions): Promise<TestDcapPlatform> {
    const x509 = await loadX509();
    const kind = options.kind ?? "simulation";
    const tcb = { ...DEFAULT_PLATFORM_TCB, ...options.tcb };
    const names =
      kind === "simulation"
        ? {
            root: "CN=MesaTEE Simulation Root CA, O=MesaTEE",
            ca: `CN=MesaTEE Simulation PCK ${options.platformCa ? "Platform" : "Processor"} CA, O=MesaTEE`,
            pck: "CN=MesaTEE Simulation PCK Certificate, O=MesaTEE",
            tcb: "CN=MesaTEE Simulation TCB Signing, O=MesaTEE",
          }
        : {
            root: "CN=Intel SGX Root CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US",
            ca: `CN=Intel SGX PCK ${options.platformCa ? "Platform" : "Processor"} CA, O=Intel Corporation, L=Santa Clara, ST=CA, C=US`,
            pck: "CN=Intel SGX PCK Certificate, O=Intel Corporation, L=Santa Clara, ST=CA, C=US",
            tcb: "CN=Intel SGX TCB Signing, O=Intel Corporation, L=Santa Clara, ST=CA, C=US",
          };
    const long = validFor(options.now, 25);
    const root = await createTestRoot(names.root, long);
    const pckCa = await issueTestCert(root, names.ca, {
      ...validFor(options.now, 15),
      ca: { pathLength: 0 },
    });
    const pck = await issueTestCert(pckCa, names.pck, {
      ...(options.pckValidity ?? validFor(options.now, 7)),
      extensions: [new x509.Extension(SGX_OID, false, encodeSgxExtension(tcb))],
    });
    const tcbSigning = await issueTestCert(root, names.tcb, validFor(options.now, 7));
    return new TestDcapPlatform(kind, root, pckCa, pck, tcbSigning, tcb);
  }

  get rootSha256(): string {
    return createHash("sha256").update(this.root.der).digest("hex");
  }

  /** The PEM chain a quote carries: PCK leaf ‖ PCK CA ‖ root. */
  get chainPem(): string {
    return [this.pck.pem, this.pckCa.pem, this.root.pem].join("\n");
  }

  get vendorId(): Buffer {
    return Buffer.from(this.kind === "simulation" ? SIMULATION_QE_VENDOR_ID : INTEL_QE_VENDOR_ID, "hex");
  }

  /**
   * A signed quote from this platform. Simulation quotes set DEBUG unless `sgx.debug`/`td.debug` is
   * given explicitly as false.
   */
  quote(options: Partial<BuildQuoteOptions> & { reportData?: Uint8Array } = {}): Buffer {
    const version = options.version ?? 3;
    const tdx = version === 4 || (version === 5 && options.bodyType !== "sgx");
    const debug = this.kind === "simulation";
    return buildQuote({
      qeVendorId: this.vendorId,
      pckKey: this.pck.privateKey,
      pckChainPem: this.chainPem,
      ...options,
      version,
      sgx: tdx
        ? undefined
        : { cpuSvn: Buffer.from(this.tcb.components), debug, reportData: options.reportData, ...options.sgx },
      td: tdx ? { debug, reportData: options.reportData, ...options.td } : undefined,
    });
  }

  /** Signed collateral (TCB info, QE identity, CRLs) for this platform, in the bundle format. */
  async collateral(o: CollateralOptions): Promise<CollateralBundle> {
    const tdx = o.tee === "tdx";
    const levels = o.tcbLevels ?? [
      {
        tcb: {
          sgxtcbcomponents: this.tcb.components.map((svn) => ({ svn })),
          pcesvn: this.tcb.pceSvn,
          ...(tdx ? { tdxtcbcomponents: new Array(16).fill(0).map(() => ({ svn: 0 })) } : {}),
        },
        tcbDate: "2024-03-13T00:00:00Z",
        tcbStatus: "UpToDate",
      },
    ];
    const tcbInfo: Record<string, unknown> = {
      id: tdx ? "TDX" : "SGX",
      version: 3,
      issueDate: o.issueDate.toISOString().replace(/\.\d{3}Z$/, "Z"),
      nextUpdate: o.nextUpdate.toISOString().replace(/\.\d{3}Z$/, "Z"),
      fmspc: this.tcb.fmspc.toUpperCase(),
      pceId: this.tcb.pceId.toUpperCase(),
      tcbType: 0,
      tcbEvaluationDataNumber: o.tcbEvaluationDataNumber ?? 17,
    };
    if (tdx)
      tcbInfo.tdxModule = o.tdxModule ?? {
        mrsigner: "00".repeat(48),
        attributes: "0000000000000000",
        attributesMask: "FFFFFFFFFFFFFFFF",
      };
    if (o.tdxModuleIdentities) tcbInfo.tdxModuleIdentities = o.tdxModuleIdentities;
    tcbInfo.tcbLevels = levels;
    const pinned = tdx ? INTEL_QE_IDENTITY.tdx : INTEL_QE_IDENTITY.sgx;
    const qeIdentity = {
      id: pinned.id,
      version: 2,
      issueDate: tcbInfo.issueDate,
      nextUpdate: tcbInfo.nextUpdate,
      tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber,
      miscselect: "00000000",
      miscselectMask: "FFFFFFFF",
      attributes: "11000000000000000000000000000000",
      attributesMask: "FBFFFFFFFFFFFFFF0000000000000000",
      mrsigner: pinned.mrsigner.toUpperCase(),
      isvprodid: pinned.isvProdId,
      tcbLevels: [{ tcb: { isvsvn: 8 }, tcbDate: "2024-03-13T00:00:00Z", tcbStatus: "UpToDate" }],
      ...o.qeIdentity,
    };
    const tcbJson = JSON.stringify(tcbInfo);
    const qeJson = JSON.stringify(qeIdentity);
    const signJson = (json: string): string =>
      sign("sha256", Buffer.from(json), {
        key: this.tcbSigning.privateKey,
        dsaEncoding: "ieee-p1363",
      }).toString("hex");
    const signerChain = [this.tcbSigning.pem, this.root.pem].join("\n");
    const bundle: CollateralBundle = {
      tcb_info: tcbJson,
      tcb_info_signature: signJson(tcbJson),
      tcb_info_issuer_chain: signerChain,
      qe_identity: qeJson,
      qe_identity_signature: signJson(qeJson),
      qe_identity_issuer_chain: signerChain,
    };
    if (!o.omitCrls) {
      const thisUpdate = o.crlThisUpdate ?? o.issueDate;
      const nextUpdate = o.crlNextUpdate ?? o.nextUpdate;
      bundle.pck_crl = (
        await createTestCrl(this.pckCa, o.revokePck ? [this.pck.serialHex] : [], thisUpdate, nextUpdate)
      ).toString("hex");
      bundle.root_ca_crl = (
        await createTestCrl(
          this.root,
          [
            ...(o.revokePckCa ? [this.pckCa.serialHex] : []),
            ...(o.revokeTcbSigning ? [this.tcbSigning.serialHex] : []),
          ],
          thisUpdate,
          nextUpdate,
        )
      ).toString("hex");
      bundle.pck_crl_issuer_chain = [this.pckCa.pem, this.root.pem].join("\n");
    }
    return bundle;
  }
}
