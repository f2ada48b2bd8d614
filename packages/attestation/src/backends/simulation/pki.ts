// The simulated provisioning PKI: a per-deployment Simulation Root CA (persisted), and per-backend
// intermediate + PCK leaf certificates shaped like Intel's, including the SGX extension
// (OID 1.2.840.113741.1.13.1, spec attestation.md §1.6) so the verifier parses them like real ones.

import { generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import * as der from "../../der.js";
import {
  authorityKeyIdentifier,
  basicConstraints,
  buildCertificate,
  keyUsage,
  serialFrom,
  subjectKeyIdentifier,
  toPem,
  type DistinguishedName,
} from "../../ratls/x509.js";

export const SGX_EXTENSION_OID = "1.2.840.113741.1.13.1";

export const SIMULATION_ROOT_NAME: DistinguishedName = [
  ["CN", "MesaTEE Simulation Root CA"],
  ["O", "MesaTEE"],
  ["C", "US"],
];
export const SIMULATION_INTERMEDIATE_NAME: DistinguishedName = [
  ["CN", "MesaTEE Simulation PCK Processor CA"],
  ["O", "MesaTEE"],
  ["C", "US"],
];
export const SIMULATION_PCK_NAME: DistinguishedName = [
  ["CN", "MesaTEE Simulation PCK Certificate"],
  ["O", "MesaTEE"],
  ["C", "US"],
];

export interface PckTcb {
  /** The 16 SGX TCB component SVNs (also the report's CPUSVN bytes). */
  components: Uint8Array;
  pceSvn: number;
  pceId: Uint8Array; // 2
  fmspc: Uint8Array; // 6
  ppid: Uint8Array; // 16
}

/** DER of the SGX extension value: SEQUENCE of SEQUENCE{OID, value} (spec §1.6). */
export function encodeSgxExtension(tcb: PckTcb): Buffer {
  const arc = (suffix: string): Buffer => der.oid(`${SGX_EXTENSION_OID}.${suffix}`);
  const components: Buffer[] = [];
  for (let i = 0; i < 16; i++)
    components.push(der.seq(arc(`2.${i + 1}`), der.integer(tcb.components[i] ?? 0)));
  components.push(der.seq(arc("2.17"), der.integer(tcb.pceSvn)));
  components.push(der.seq(arc("2.18"), der.octets(tcb.components)));
  return der.seq(
    der.seq(arc("1"), der.octets(tcb.ppid)),
    der.seq(arc("2"), der.seq(...components)),
    der.seq(arc("3"), der.octets(tcb.pceId)),
    der.seq(arc("4"), der.octets(tcb.fmspc)),
    der.seq(arc("5"), der.enumerated(0)), // SGX type: Standard
  );
}

export interface CertifiedKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  certDer: Buffer;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function p256(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync("ec", { namedCurve: "P-256" });
}

/** A fresh self-signed Simulation Root CA (ECDSA P-256, CA:TRUE pathlen 1 like Intel's root). */
export function createSimulationRoot(now: Date, lifetimeYears = 25): CertifiedKey {
  const keys = p256();
  const certDer = buildCertificate({
    serial: serialFrom(randomBytes(16)),
    subject: SIMULATION_ROOT_NAME,
    issuer: SIMULATION_ROOT_NAME,
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + lifetimeYears * YEAR_MS),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [
      subjectKeyIdentifier(keys.publicKey),
      keyUsage("keyCertSign", "cRLSign"),
      basicConstraints(true, 1),
    ],
  });
  return { ...keys, certDer };
}

export interface PckChain {
  intermediate: CertifiedKey;
  pck: CertifiedKey;
  /** PEM chain leaf ‖ intermediate ‖ root, as certification data type 5 carries it. */
  pem: string;
}

/** Issues an intermediate and a PCK leaf under the root; valid for `lifetimeYears` from `now`. */
export function issuePckChain(root: CertifiedKey, tcb: PckTcb, now: Date, lifetimeYears = 7): PckChain {
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + lifetimeYears * YEAR_MS);
  const interKeys = p256();
  const intermediate: CertifiedKey = {
    ...interKeys,
    certDer: buildCertificate({
      serial: serialFrom(randomBytes(16)),
      subject: SIMULATION_INTERMEDIATE_NAME,
      issuer: SIMULATION_ROOT_NAME,
      notBefore,
      notAfter,
      publicKey: interKeys.publicKey,
      signingKey: root.privateKey,
      extensions: [
        authorityKeyIdentifier(root.publicKey),
        subjectKeyIdentifier(interKeys.publicKey),
        keyUsage("keyCertSign", "cRLSign"),
        basicConstraints(true, 0),
      ],
    }),
  };
  const pckKeys = p256();
  const pck: CertifiedKey = {
    ...pckKeys,
    certDer: buildCertificate({
      serial: serialFrom(randomBytes(16)),
      subject: SIMULATION_PCK_NAME,
      issuer: SIMULATION_INTERMEDIATE_NAME,
      notBefore,
      notAfter,
      publicKey: pckKeys.publicKey,
      signingKey: interKeys.privateKey,
      extensions: [
        authorityKeyIdentifier(interKeys.publicKey),
        subjectKeyIdentifier(pckKeys.publicKey),
        keyUsage("digitalSignature"),
        basicConstraints(false),
        { oid: SGX_EXTENSION_OID, value: encodeSgxExtension(tcb) },
      ],
    }),
  };
  const pem = [pck.certDer, intermediate.certDer, root.certDer].map((d) => toPem(d)).join("");
  return { intermediate, pck, pem };
}
