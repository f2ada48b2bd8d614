// The simulation backend: no TEE hardware, evidence in the real SGX DCAP quote v3 layout, signed by
// a simulated quoting enclave whose PCK chain ends in the deployment's Simulation Root CA. The DEBUG
// attribute is set and the QE vendor id is not Intel's, so no production policy can accept it.

import { createHash, createHmac, generateKeyPairSync, type KeyObject } from "node:crypto";
import { SIMULATION_QE_VENDOR_ID } from "../../verify/roots.js";
import { BackendError } from "../errors.js";
import { REPORT_DATA_LENGTH, type AttestationBackend, type Evidence, type SealingBinding } from "../types.js";
import { loadSimulationDeployment, type SimulationDeployment } from "./deployment.js";
import { simulationMrEnclave, simulationMrSigner, type SimulatedCode } from "./measurement.js";
import { issuePckChain, type PckChain, type PckTcb } from "./pki.js";
import { buildQuoteV3, SGX_FLAGS } from "./quote.js";

/** QE vendor id of the simulated quoting enclave (the verifier's constant; never Intel's 939a7233…). */
const QE_VENDOR_ID = Buffer.from(SIMULATION_QE_VENDOR_ID, "hex");
/** MRENCLAVE / MRSIGNER of the simulated quoting enclave (never Intel's QE values). */
export const SIMULATION_QE_MRENCLAVE = createHash("sha256")
  .update("mesatee/simulation/qe/mrenclave")
  .digest();
export const SIMULATION_QE_MRSIGNER = createHash("sha256").update("mesatee/simulation/qe/mrsigner").digest();
/** FMSPC of the simulated platform: ASCII "MESA" ‖ 00 00. */
export const SIMULATION_FMSPC = Buffer.from("4d4553410000", "hex");

export interface SimulationBackendOptions extends SimulatedCode {
  /** The deployment's simulation directory (root CA, signer key, sealing secret). */
  dir: string;
  /** The deployment's signing key; default: the simulation signer key kept in `dir`. */
  signerPublicKey?: KeyObject;
  isvProdId?: number;
  isvSvn?: number;
  /** Simulated platform TCB (PCK extension and CPUSVN). */
  tcb?: Partial<PckTcb>;
  qeSvn?: number;
  /** Time source for certificate issuance. */
  clock?: () => Date;
}

interface Prepared {
  deployment: SimulationDeployment;
  chain: PckChain;
  tcb: PckTcb;
  attestationKey: { privateKey: KeyObject; publicKey: KeyObject };
  mrEnclave: Buffer;
  mrSigner: Buffer;
}

function u16(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new BackendError("INVALID_CONFIG", `${what} must be a u16`);
  return v;
}

export class SimulationBackend implements AttestationBackend {
  readonly kind = "simulation" as const;
  readonly mrEnclave: Buffer;
  private readonly isvProdId: number;
  private readonly isvSvn: number;
  private readonly qeSvn: number;
  private readonly clock: () => Date;
  private prepared: Promise<Prepared> | undefined;

  constructor(private readonly options: SimulationBackendOptions) {
    if (typeof options.dir !== "string" || options.dir === "")
      throw new BackendError("INVALID_CONFIG", "simulation needs a directory");
    this.mrEnclave = simulationMrEnclave(options);
    this.isvProdId = u16(options.isvProdId, 0, "isvProdId");
    this.isvSvn = u16(options.isvSvn, 0, "isvSvn");
    this.qeSvn = u16(options.qeSvn, 8, "qeSvn");
    this.clock = options.clock ?? (() => new Date());
    const t = options.tcb ?? {};
    const sizes: [keyof PckTcb, number][] = [
      ["components", 16],
      ["pceId", 2],
      ["fmspc", 6],
      ["ppid", 16],
    ];
    for (const [field, size] of sizes) {
      const v = t[field];
      if (v !== undefined && (!(v instanceof Uint8Array) || v.length !== size)) {
        throw new BackendError("INVALID_CONFIG", `tcb.${field} must be ${size} bytes`);
      }
    }
    u16(t.pceSvn, 0, "tcb.pceSvn");
  }

  async detect(): Promise<boolean> {
    return true;
  }

  /** The deployment material and per-instance keys, created on first use. */
  private prepare(): Promise<Prepared> {
    this.prepared ??= (async () => {
      const now = this.clock();
      const deployment = await loadSimulationDeployment(this.options.dir, now);
      const t = this.options.tcb ?? {};
      const tcb: PckTcb = {
        components: t.components ?? Buffer.from([2, 2, 2, 2, 255, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0]),
        pceSvn: t.pceSvn ?? 13,
        pceId: t.pceId ?? Buffer.from([0, 0]),
        fmspc: t.fmspc ?? SIMULATION_FMSPC,
        ppid: t.ppid ?? createHash("sha256").update(deployment.root.certDer).digest().subarray(0, 16),
      };
      return {
        deployment,
        chain: issuePckChain(deployment.root, tcb, now),
        tcb,
        attestationKey: generateKeyPairSync("ec", { namedCurve: "P-256" }),
        mrEnclave: this.mrEnclave,
        mrSigner: simulationMrSigner(this.options.signerPublicKey ?? deployment.signerPublicKey),
      };
    })();
    // A failed preparation (e.g. unreadable key file) must not be cached forever.
    this.prepared.catch(() => (this.prepared = undefined));
    return this.prepared;
  }

  /** MRSIGNER this backend reports (resolves the deployment's signer key). */
  async mrSigner(): Promise<Buffer> {
    return (await this.prepare()).mrSigner;
  }

  /** SHA-256 of the Simulation Root CA certificate: what a policy pins to accept this deployment. */
  async rootSha256(): Promise<string> {
    return (await this.prepare()).deployment.rootSha256;
  }

  async getEvidence(reportData: Uint8Array): Promise<Evidence> {
    if (!(reportData instanceof Uint8Array) || reportData.length !== REPORT_DATA_LENGTH) {
      throw new BackendError("INVALID_ARGUMENT", `report data must be ${REPORT_DATA_LENGTH} bytes`);
    }
    const p = await this.prepare();
    const raw = buildQuoteV3({
      qeSvn: this.qeSvn,
      pceSvn: p.tcb.pceSvn,
      qeVendorId: QE_VENDOR_ID,
      qeId: createHash("sha256").update("qe-id").update(p.deployment.root.certDer).digest().subarray(0, 16),
      body: {
        cpuSvn: p.tcb.components,
        miscSelect: 0,
        flags: SGX_FLAGS.INIT | SGX_FLAGS.DEBUG | SGX_FLAGS.MODE64BIT,
        xfrm: 0x3n,
        mrEnclave: p.mrEnclave,
        mrSigner: p.mrSigner,
        isvProdId: this.isvProdId,
        isvSvn: this.isvSvn,
        reportData,
      },
      attestationKey: p.attestationKey,
      qeReport: {
        cpuSvn: p.tcb.components,
        miscSelect: 0,
        flags: SGX_FLAGS.INIT | SGX_FLAGS.PROVISIONKEY,
        xfrm: 0x3n,
        mrEnclave: SIMULATION_QE_MRENCLAVE,
        mrSigner: SIMULATION_QE_MRSIGNER,
        isvProdId: 1,
        isvSvn: this.qeSvn,
      },
      pckKey: p.chain.pck.privateKey,
      qeAuthData: Buffer.from(Array.from({ length: 32 }, (_, i) => i)),
      pckChainPem: p.chain.pem,
    });
    return { format: "sim-v1", raw };
  }

  /**
   * The local sealing secret bound to this code's simulated MRENCLAVE or to the deployment's
   * MRSIGNER, mirroring Gramine's _sgx_mrenclave / _sgx_mrsigner keys.
   */
  async sealingSecret(binding: SealingBinding): Promise<Uint8Array> {
    const p = await this.prepare();
    const measurement = binding === "mrenclave" ? p.mrEnclave : p.mrSigner;
    return createHmac("sha256", p.deployment.sealingSecret).update(binding).update(measurement).digest();
  }
}
