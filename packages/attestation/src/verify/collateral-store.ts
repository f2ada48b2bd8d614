// Where collateral comes from at verification time. The verifier never touches the network: a store
// answers from memory or a local cache directory, refreshed out of band (see fetch.ts). Whatever a
// store returns is verified like any other collateral, so a stale or foreign entry is refused, not trusted.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { AttestationError } from "../errors.js";
import type { SnpProduct, SnpTcb } from "../types.js";
import type { Collateral, CollateralBundle } from "./collateral.js";
import { parseSnpCollateral, type SnpCollateral } from "./snp.js";

export interface DcapCollateralQuery {
  tee: "sgx" | "tdx";
  /** 12 lowercase hex digits. */
  fmspc: string;
  ca: "processor" | "platform";
}

export interface SnpCollateralQuery {
  product: SnpProduct;
  /** CHIP_ID, lowercase hex (64 bytes; Turin uses the first 8). */
  chipId: string;
  reportedTcb: SnpTcb;
}

export type DcapCollateralInput = Collateral | CollateralBundle | string | Uint8Array;

export interface CollateralStore {
  dcap?(
    query: DcapCollateralQuery,
  ): Promise<DcapCollateralInput | null | undefined> | DcapCollateralInput | null | undefined;
  snp?(
    query: SnpCollateralQuery,
  ): Promise<SnpCollateral | null | undefined> | SnpCollateral | null | undefined;
}

/** A store that answers every query with the same collateral (one platform, or a test). */
export function staticCollateral(collateral: {
  dcap?: DcapCollateralInput;
  snp?: SnpCollateral;
}): CollateralStore {
  return { dcap: () => collateral.dcap, snp: () => collateral.snp };
}

const MAX_FILE = 8 * 1024 * 1024;

async function readOptional(path: string): Promise<Buffer | undefined> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_FILE)
      throw new AttestationError("COLLATERAL_INVALID", `${path} is larger than ${MAX_FILE} bytes`);
    return bytes;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * A cache directory: `<tee>-<fmspc>-<ca>.json` holds a DCAP collateral bundle (e.g.
 * `sgx-00a067110000-processor.json`); `snp-<product>-<first 8 bytes of chip id>.json` holds
 * `{"vcek", "cert_chain"?, "crl"?}` for one chip. Missing files mean "no collateral".
 */
export class DirectoryCollateralStore implements CollateralStore {
  constructor(readonly directory: string) {}

  static dcapFileName(q: DcapCollateralQuery): string {
    return `${q.tee}-${q.fmspc.toLowerCase()}-${q.ca}.json`;
  }

  static snpFileName(q: Pick<SnpCollateralQuery, "product" | "chipId">): string {
    return `snp-${q.product.toLowerCase()}-${q.chipId.slice(0, 16).toLowerCase()}.json`;
  }

  async dcap(query: DcapCollateralQuery): Promise<Uint8Array | undefined> {
    if (!/^[0-9a-f]{12}$/.test(query.fmspc))
      throw new AttestationError("INVALID_ARGUMENT", "FMSPC must be 12 lowercase hex digits");
    return readOptional(join(this.directory, DirectoryCollateralStore.dcapFileName(query)));
  }

  async snp(query: SnpCollateralQuery): Promise<SnpCollateral | undefined> {
    if (!/^[0-9a-f]{16,128}$/.test(query.chipId))
      throw new AttestationError("INVALID_ARGUMENT", "chip id must be hex");
    const bytes = await readOptional(join(this.directory, DirectoryCollateralStore.snpFileName(query)));
    return bytes ? parseSnpCollateral(bytes) : undefined;
  }
}
