// The verifier policy file (spec attestation.md §7.4): which roots to trust, whether simulation is
// allowed, how fresh collateral must be, which TCB statuses pass, and per service which measurements,
// signers and minimum SVNs are accepted. Parsed once at the boundary into a frozen, fully-defaulted
// Policy; any unknown field or malformed value is POLICY_INVALID (a typo must never disable a rule).

import { AttestationError } from "../errors.js";
import { TCB_STATUSES, type SnpProduct, type TcbStatus } from "../types.js";
import {
  asArray,
  asBoolean,
  asHex,
  asInteger,
  asObject,
  asString,
  child,
  fail,
  field,
  oneOf,
  parseJsonText,
  type Field,
} from "../verify/json-fields.js";
import { AMD_ARK_SHA256, INTEL_SGX_ROOT_SHA256 } from "../verify/roots.js";

export interface MaskedValue {
  /** Hex, raw byte order (as the quote carries the field). */
  mask: string;
  value: string;
}

export interface SgxServicePolicy {
  tee: "sgx";
  /** Allowed MRENCLAVEs (several during rolling upgrades); null = any (then `mrsigner` is required). */
  mrenclave: string[] | null;
  mrsigner: string[] | null;
  isvProdId: number | null;
  minIsvSvn: number;
  attributes: MaskedValue | null;
  allowDebug: boolean;
}

export interface TdxServicePolicy {
  tee: "tdx";
  mrtd: string[];
  /** Allowed values per RTMR index; an absent index is not checked. */
  rtmr: Partial<Record<0 | 1 | 2 | 3, string[]>>;
  mrConfigId: string | null;
  mrOwner: string | null;
  mrOwnerConfig: string | null;
  tdAttributes: MaskedValue | null;
  xfam: MaskedValue | null;
  requireSeptVeDisable: boolean;
  /** Component-wise minimum of TEE_TCB_SVN (16 bytes hex), or null. */
  minTeeTcbSvn: string | null;
  allowDebug: boolean;
}

export interface SnpMinTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc: number | null;
}

export interface SnpServicePolicy {
  tee: "sev-snp";
  measurement: string[];
  hostData: string | null;
  idKeyDigest: string[] | null;
  guestPolicy: {
    migrateMA: boolean;
    smt: "any" | "required" | "forbidden";
    singleSocket: "any" | "required";
  };
  vmpl: number;
  minTcb: SnpMinTcb | null;
  minGuestSvn: number;
  allowDebug: boolean;
}

export type ServicePolicy = SgxServicePolicy | TdxServicePolicy | SnpServicePolicy;

export interface AuditorKeyEntry {
  id: string;
  alg: "ed25519" | "ecdsa-p256";
  publicKey: string;
}

export interface Policy {
  version: 1;
  trustAnchors: {
    intelSgxRootSha256: string;
    amdArkSha256: Readonly<Record<SnpProduct, string>>;
    simulationRootSha256: string | null;
  };
  allowSimulation: boolean;
  collateral: {
    /** Refuse SGX/TDX evidence without collateral (so without a TCB status). */
    required: boolean;
    maxAgeSeconds: number;
    requireCrls: boolean;
    minTcbEvaluationDataNumber: number | null;
  };
  tcb: {
    accept: TcbStatus[];
    /** Statuses accepted only when every advisory is in the list. */
    acceptWithAdvisories: Partial<Record<TcbStatus, string[]>>;
    /** Advisories that refuse the evidence whatever the status. */
    rejectAdvisories: string[];
    /** Accept OutOfDate(ConfigurationNeeded) for this many days after the newest TCB level's date. */
    gracePeriodDaysAfterTcbRecovery: number;
  };
  services: Readonly<Record<string, ServicePolicy>>;
  /** Informational: the auditors expected to sign the next policy. Verification takes keys as an argument. */
  auditors: { keys: AuditorKeyEntry[]; threshold: number } | null;
}

export const POLICY_DEFAULTS = {
  collateralMaxAgeSeconds: 30 * 24 * 3600,
  tcbAccept: ["UpToDate", "SWHardeningNeeded"] as TcbStatus[],
  snpVmpl: 0,
  maxServices: 256,
  maxMeasurements: 64,
} as const;

const SERVICE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const ACCEPTABLE_STATUSES = TCB_STATUSES.filter((s) => s !== "Revoked");

function hexList(value: unknown, f: Field, bytes: number, minItems = 1): string[] {
  const list =
    typeof value === "string" ? [value] : asArray(value, f, POLICY_DEFAULTS.maxMeasurements, minItems);
  const out = list.map((v, i) => asHex(v, typeof value === "string" ? f : child(f, i), bytes));
  if (new Set(out).size !== out.length) fail(f, "lists a value twice");
  return out;
}

function optional<T>(value: unknown, parse: (v: unknown) => T): T | null {
  return value === undefined || value === null ? null : parse(value);
}

function masked(value: unknown, f: Field, bytes: number): MaskedValue {
  const o = asObject(value, f, ["mask", "value"]);
  const mask = asHex(o.mask, child(f, "mask"), bytes);
  const v = asHex(o.value, child(f, "value"), bytes);
  const m = Buffer.from(mask, "hex");
  const vb = Buffer.from(v, "hex");
  if (vb.some((b, i) => (b & ~m[i]!) !== 0)) fail(child(f, "value"), "sets bits outside the mask");
  return { mask, value: v };
}

function advisoryList(value: unknown, f: Field): string[] {
  return asArray(value, f, 256).map((v, i) => asString(v, child(f, i), 64));
}

function sgxService(o: Record<string, unknown>, f: Field): SgxServicePolicy {
  asObject(o, f, ["tee", "mrenclave", "mrsigner", "isvProdId", "minIsvSvn", "attributes", "allowDebug"]);
  const mrenclave = optional(o.mrenclave, (v) => hexList(v, child(f, "mrenclave"), 32));
  const mrsigner = optional(o.mrsigner, (v) => hexList(v, child(f, "mrsigner"), 32));
  if (!mrenclave && !mrsigner) fail(f, "needs mrenclave or mrsigner (otherwise any enclave would pass)");
  return {
    tee: "sgx",
    mrenclave,
    mrsigner,
    isvProdId: optional(o.isvProdId, (v) => asInteger(v, child(f, "isvProdId"), 0, 0xffff)),
    minIsvSvn: asInteger(o.minIsvSvn ?? 0, child(f, "minIsvSvn"), 0, 0xffff),
    attributes: optional(o.attributes, (v) => masked(v, child(f, "attributes"), 16)),
    allowDebug: asBoolean(o.allowDebug ?? false, child(f, "allowDebug")),
  };
}

function tdxService(o: Record<string, unknown>, f: Field): TdxServicePolicy {
  asObject(o, f, [
    "tee",
    "mrtd",
    "rtmr",
    "mrConfigId",
    "mrOwner",
    "mrOwnerConfig",
    "tdAttributes",
    "xfam",
    "requireSeptVeDisable",
    "minTeeTcbSvn",
    "allowDebug",
  ]);
  const rtmr: TdxServicePolicy["rtmr"] = {};
  if (o.rtmr !== undefined) {
    const rf = child(f, "rtmr");
    const r = asObject(o.rtmr, rf, ["0", "1", "2", "3"]);
    for (const key of Object.keys(r))
      rtmr[Number(key) as 0 | 1 | 2 | 3] = hexList(r[key], child(rf, key), 48);
  }
  return {
    tee: "tdx",
    mrtd: hexList(o.mrtd, child(f, "mrtd"), 48),
    rtmr,
    mrConfigId: optional(o.mrConfigId, (v) => asHex(v, child(f, "mrConfigId"), 48)),
    mrOwner: optional(o.mrOwner, (v) => asHex(v, child(f, "mrOwner"), 48)),
    mrOwnerConfig: optional(o.mrOwnerConfig, (v) => asHex(v, child(f, "mrOwnerConfig"), 48)),
    tdAttributes: optional(o.tdAttributes, (v) => masked(v, child(f, "tdAttributes"), 8)),
    xfam: optional(o.xfam, (v) => masked(v, child(f, "xfam"), 8)),
    requireSeptVeDisable: asBoolean(o.requireSeptVeDisable ?? true, child(f, "requireSeptVeDisable")),
    minTeeTcbSvn: optional(o.minTeeTcbSvn, (v) => asHex(v, child(f, "minTeeTcbSvn"), 16)),
    allowDebug: asBoolean(o.allowDebug ?? false, child(f, "allowDebug")),
  };
}

function snpService(o: Record<string, unknown>, f: Field): SnpServicePolicy {
  asObject(o, f, [
    "tee",
    "measurement",
    "hostData",
    "idKeyDigest",
    "policy",
    "vmpl",
    "minTcb",
    "minGuestSvn",
    "allowDebug",
  ]);
  const pf = child(f, "policy");
  const gp = asObject(o.policy ?? {}, pf, ["debug", "migrateMA", "smt", "singleSocket"]);
  // `policy.debug` is the spec's spelling of allowDebug for SEV-SNP; both may be given if they agree.
  const debugFromPolicy = gp.debug === undefined ? null : asBoolean(gp.debug, child(pf, "debug"));
  const allowDebug = asBoolean(o.allowDebug ?? debugFromPolicy ?? false, child(f, "allowDebug"));
  if (debugFromPolicy !== null && debugFromPolicy !== allowDebug) fail(pf, "debug contradicts allowDebug");
  let minTcb: SnpMinTcb | null = null;
  if (o.minTcb !== undefined) {
    const tf = child(f, "minTcb");
    const t = asObject(o.minTcb, tf, ["bootloader", "tee", "snp", "microcode", "fmc"]);
    const spl = (k: string): number => asInteger(t[k] ?? 0, child(tf, k), 0, 255);
    minTcb = {
      bootloader: spl("bootloader"),
      tee: spl("tee"),
      snp: spl("snp"),
      microcode: spl("microcode"),
      fmc: t.fmc === undefined ? null : spl("fmc"),
    };
  }
  return {
    tee: "sev-snp",
    measurement: hexList(o.measurement, child(f, "measurement"), 48),
    hostData: optional(o.hostData, (v) => asHex(v, child(f, "hostData"), 32)),
    idKeyDigest: optional(o.idKeyDigest, (v) => hexList(v, child(f, "idKeyDigest"), 48)),
    guestPolicy: {
      migrateMA: asBoolean(gp.migrateMA ?? false, child(pf, "migrateMA")),
      smt: oneOf(gp.smt ?? "any", child(pf, "smt"), ["any", "required", "forbidden"] as const),
      singleSocket: oneOf(gp.singleSocket ?? "any", child(pf, "singleSocket"), ["any", "required"] as const),
    },
    vmpl: asInteger(o.vmpl ?? POLICY_DEFAULTS.snpVmpl, child(f, "vmpl"), 0, 3),
    minTcb,
    minGuestSvn: asInteger(o.minGuestSvn ?? 0, child(f, "minGuestSvn"), 0, 0xffffffff),
    allowDebug,
  };
}

function service(value: unknown, f: Field): ServicePolicy {
  const o = asObject(value, f);
  const tee = oneOf(o.tee, child(f, "tee"), ["sgx", "tdx", "sev-snp"] as const);
  if (tee === "sgx") return sgxService(o, f);
  if (tee === "tdx") return tdxService(o, f);
  return snpService(o, f);
}

function auditors(value: unknown, f: Field): Policy["auditors"] {
  const o = asObject(value, f, ["keys", "threshold"]);
  const keys = asArray(o.keys, child(f, "keys"), 64, 1).map((v, i) => {
    const kf = child(child(f, "keys"), i);
    const k = asObject(v, kf, ["id", "alg", "publicKey"]);
    return {
      id: asString(k.id, child(kf, "id"), 128),
      alg: oneOf(k.alg, child(kf, "alg"), ["ed25519", "ecdsa-p256"] as const),
      publicKey: asString(k.publicKey, child(kf, "publicKey"), 8192),
    };
  });
  if (new Set(keys.map((k) => k.id)).size !== keys.length)
    fail(child(f, "keys"), "auditor ids must be distinct");
  return { keys, threshold: asInteger(o.threshold, child(f, "threshold"), 1, keys.length) };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Parses and validates a policy (JSON text, bytes, or an already-decoded object) into a frozen Policy
 * with every default filled in. Throws POLICY_INVALID naming the offending field.
 */
export function parsePolicy(input: string | Uint8Array | Record<string, unknown>): Policy {
  const f = field("POLICY_INVALID", "policy");
  const value: unknown =
    typeof input === "string"
      ? parseJsonText(input, f)
      : input instanceof Uint8Array
        ? parseJsonText(Buffer.from(input).toString("utf8"), f)
        : input;
  const o = asObject(value, f, [
    "version",
    "trustAnchors",
    "allowSimulation",
    "collateral",
    "tcb",
    "services",
    "auditors",
  ]);
  asInteger(o.version, child(f, "version"), 1, 1);

  const af = child(f, "trustAnchors");
  const a = asObject(o.trustAnchors ?? {}, af, [
    "intelSgxRootSha256",
    "amdArkSha256",
    "simulationRootSha256",
  ]);
  const arkF = child(af, "amdArkSha256");
  const ark = asObject(a.amdArkSha256 ?? {}, arkF, ["Milan", "Genoa", "Turin"]);
  const amdArkSha256 = { ...AMD_ARK_SHA256 };
  for (const product of Object.keys(ark) as SnpProduct[])
    amdArkSha256[product] = asHex(ark[product], child(arkF, product), 32);
  const simulationRootSha256 = optional(a.simulationRootSha256, (v) =>
    asHex(v, child(af, "simulationRootSha256"), 32),
  );

  const allowSimulation = asBoolean(o.allowSimulation ?? false, child(f, "allowSimulation"));
  if (allowSimulation && !simulationRootSha256)
    fail(
      child(f, "allowSimulation"),
      "requires trustAnchors.simulationRootSha256 (simulation is accepted only from a pinned root)",
    );

  const cf = child(f, "collateral");
  const c = asObject(o.collateral ?? {}, cf, [
    "required",
    "maxAgeSeconds",
    "requireCrls",
    "minTcbEvaluationDataNumber",
  ]);
  const tf = child(f, "tcb");
  const t = asObject(o.tcb ?? {}, tf, [
    "accept",
    "acceptWithAdvisories",
    "rejectAdvisories",
    "gracePeriodDaysAfterTcbRecovery",
  ]);
  const accept =
    t.accept === undefined
      ? [...POLICY_DEFAULTS.tcbAccept]
      : asArray(t.accept, child(tf, "accept"), 16).map((s, i) =>
          oneOf(s, child(child(tf, "accept"), i), ACCEPTABLE_STATUSES),
        );
  const acceptWithAdvisories: Partial<Record<TcbStatus, string[]>> = {};
  if (t.acceptWithAdvisories !== undefined) {
    const wf = child(tf, "acceptWithAdvisories");
    const w = asObject(t.acceptWithAdvisories, wf, ACCEPTABLE_STATUSES);
    for (const [status, list] of Object.entries(w))
      acceptWithAdvisories[status as TcbStatus] = advisoryList(list, child(wf, status));
  }

  const sf = child(f, "services");
  const s = asObject(o.services, sf);
  const names = Object.keys(s);
  if (names.length === 0) fail(sf, "must list at least one service");
  if (names.length > POLICY_DEFAULTS.maxServices)
    fail(sf, `more than ${POLICY_DEFAULTS.maxServices} services`);
  const services: Record<string, ServicePolicy> = {};
  for (const name of names) {
    if (!SERVICE_NAME.test(name)) fail(sf, `"${name.slice(0, 70)}" is not a valid service name`);
    services[name] = service(s[name], child(sf, name));
    // Debug enclaves leak their memory to the host: only development policies may accept them.
    if (services[name]!.allowDebug && !allowSimulation) {
      fail(
        child(child(sf, name), "allowDebug"),
        "is only permitted in a development policy (allowSimulation: true)",
      );
    }
  }

  const policy: Policy = deepFreeze({
    version: 1,
    trustAnchors: {
      intelSgxRootSha256:
        a.intelSgxRootSha256 === undefined
          ? INTEL_SGX_ROOT_SHA256
          : asHex(a.intelSgxRootSha256, child(af, "intelSgxRootSha256"), 32),
      amdArkSha256,
      simulationRootSha256,
    },
    allowSimulation,
    collateral: {
      required: asBoolean(c.required ?? true, child(cf, "required")),
      maxAgeSeconds: asInteger(
        c.maxAgeSeconds ?? POLICY_DEFAULTS.collateralMaxAgeSeconds,
        child(cf, "maxAgeSeconds"),
        1,
        10 * 365 * 24 * 3600,
      ),
      requireCrls: asBoolean(c.requireCrls ?? true, child(cf, "requireCrls")),
      minTcbEvaluationDataNumber: optional(c.minTcbEvaluationDataNumber, (v) =>
        asInteger(v, child(cf, "minTcbEvaluationDataNumber"), 0, 0xffffffff),
      ),
    },
    tcb: {
      accept,
      acceptWithAdvisories,
      rejectAdvisories:
        t.rejectAdvisories === undefined
          ? []
          : advisoryList(t.rejectAdvisories, child(tf, "rejectAdvisories")),
      gracePeriodDaysAfterTcbRecovery: asInteger(
        t.gracePeriodDaysAfterTcbRecovery ?? 0,
        child(tf, "gracePeriodDaysAfterTcbRecovery"),
        0,
        365,
      ),
    },
    services,
    auditors: o.auditors === undefined ? null : auditors(o.auditors, child(f, "auditors")),
  });
  parsed.add(policy);
  return policy;
}

// Policies that went through parsePolicy: only these are trusted without re-validation.
const parsed = new WeakSet<Policy>();

/** Narrowing helper for callers that accept either a parsed Policy or raw input. */
export function asPolicy(input: Policy | string | Uint8Array | Record<string, unknown>): Policy {
  if (input === null || input === undefined)
    throw new AttestationError("INVALID_ARGUMENT", "a policy is required");
  if (typeof input === "object" && parsed.has(input as Policy)) return input as Policy;
  return parsePolicy(input as string | Uint8Array | Record<string, unknown>);
}
