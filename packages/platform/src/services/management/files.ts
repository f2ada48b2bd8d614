// Input and output file registration (spec §3.4, §3.5).
import { randomBytes, randomUUID } from "node:crypto";
import { authorizeReadFile, authorizeUpdateFile } from "../../access-control/index.js";
import type { Clock } from "../../clock.js";
import { invalidArgument, notFound, permissionDenied } from "../../errors.js";
import type { InputFile, OutputFile } from "../../domain/files.js";
import type { Caller } from "../../domain/users.js";
import { newId, parseId } from "../../ids.js";
import type { Store, Transaction } from "../../storage/index.js";
import type { ManagementLimits } from "./limits.js";
import { validateCrypto, validateOwners, validateTag, validateUrl } from "./validate.js";

export interface RegisterInput {
  readonly url: string;
  readonly cmac: Uint8Array;
  readonly schema: string;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

export type RegisterOutput = Omit<RegisterInput, "cmac">;

export interface FileInfo {
  readonly owners: readonly string[];
  /** hex; "" when not (yet) known */
  readonly cmac: string;
}

/** Fusion outputs live inside the platform; this prefix is resolved by the file agent. */
export const FUSION_URL_PREFIX = "fusion:///TEACLAVE_FUSION_BASE/";

export async function requireUsers(tx: Transaction, ids: readonly string[]): Promise<void> {
  for (const id of ids) if (!(await tx.get("user", id))) throw invalidArgument(`user ${id} does not exist`);
}

export class FileRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: ManagementLimits,
  ) {}

  async registerInput(caller: Caller, req: RegisterInput): Promise<string> {
    const url = validateUrl(req.url, this.limits, false);
    const crypto = validateCrypto(req.schema, req.key, req.iv);
    const file: InputFile = {
      id: newId("input"),
      url,
      cmac: validateTag(req.cmac, crypto.schema),
      crypto,
      owners: [caller.id],
      createdAt: this.clock.now(),
    };
    await this.store.transaction((tx) => tx.insert("input", file.id, file));
    return file.id;
  }

  async registerOutput(caller: Caller, req: RegisterOutput): Promise<string> {
    const url = validateUrl(req.url, this.limits, true);
    const crypto = validateCrypto(req.schema, req.key, req.iv);
    if (crypto.schema === "raw") throw invalidArgument("outputs must be encrypted (raw is for inputs only)");
    const file: OutputFile = {
      id: newId("output"),
      url,
      cmac: null,
      crypto,
      owners: [caller.id],
      fusion: false,
      createdAt: this.clock.now(),
    };
    await this.store.transaction((tx) => tx.insert("output", file.id, file));
    return file.id;
  }

  /** A new record with the new location; the old record stays for tasks that already use it. */
  async updateInput(caller: Caller, dataId: string, url: string): Promise<string> {
    parseId("input", dataId, "data id");
    const checked = validateUrl(url, this.limits, false);
    return this.store.transaction(async (tx) => {
      const old = await tx.get("input", dataId);
      if (!old) throw notFound(`input file ${dataId} does not exist`);
      authorizeUpdateFile(caller, old);
      const file: InputFile = { ...old, id: newId("input"), url: checked, createdAt: this.clock.now() };
      await tx.insert("input", file.id, file);
      return file.id;
    });
  }

  async updateOutput(caller: Caller, dataId: string, url: string): Promise<string> {
    parseId("output", dataId, "data id");
    const checked = validateUrl(url, this.limits, true);
    return this.store.transaction(async (tx) => {
      const old = await tx.get("output", dataId);
      if (!old) throw notFound(`output file ${dataId} does not exist`);
      authorizeUpdateFile(caller, old);
      if (old.fusion) throw invalidArgument("fusion outputs cannot be moved");
      const file: OutputFile = {
        ...old,
        id: newId("output"),
        url: checked,
        cmac: null,
        createdAt: this.clock.now(),
      };
      await tx.insert("output", file.id, file);
      return file.id;
    });
  }

  /** An output owned by several users, stored inside the platform under a key that never leaves it. */
  async registerFusionOutput(caller: Caller, ownerList: readonly string[]): Promise<string> {
    const owners = validateOwners(ownerList, this.limits, "a fusion output");
    if (owners.length < 2) throw invalidArgument("a fusion output needs at least two owners");
    if (!owners.includes(caller.id)) throw permissionDenied("the caller must be one of the owners");
    const uuid = randomUUID();
    const file: OutputFile = {
      id: `output-${uuid}`,
      url: `${FUSION_URL_PREFIX}${uuid}.fusion`,
      cmac: null,
      crypto: { schema: "teaclave-file-128", key: randomBytes(16).toString("hex"), iv: "" },
      owners,
      fusion: true,
      createdAt: this.clock.now(),
    };
    await this.store.transaction(async (tx) => {
      await requireUsers(tx, owners);
      await tx.insert("output", file.id, file);
    });
    return file.id;
  }

  /** Turns a finished output into an input (same uuid, location, tag, key and owners). */
  async registerInputFromOutput(caller: Caller, outputId: string): Promise<string> {
    const uuid = parseId("output", outputId, "data id");
    return this.store.transaction(async (tx) => {
      const output = await tx.get("output", outputId);
      if (!output) throw notFound(`output file ${outputId} does not exist`);
      authorizeReadFile(caller, output);
      if (!output.cmac) throw invalidArgument("output is not finished");
      const id = `input-${uuid}`;
      if (await tx.get("input", id)) return id;
      const input: InputFile = {
        id,
        url: output.url,
        cmac: output.cmac,
        crypto: output.crypto,
        owners: output.owners,
        createdAt: this.clock.now(),
      };
      await tx.insert("input", id, input);
      return id;
    });
  }

  async getInput(caller: Caller, dataId: string): Promise<FileInfo> {
    parseId("input", dataId, "data id");
    const file = await this.store.transaction((tx) => tx.get("input", dataId));
    if (!file) throw notFound(`input file ${dataId} does not exist`);
    authorizeReadFile(caller, file);
    return { owners: file.owners, cmac: file.cmac };
  }

  async getOutput(caller: Caller, dataId: string): Promise<FileInfo> {
    parseId("output", dataId, "data id");
    const file = await this.store.transaction((tx) => tx.get("output", dataId));
    if (!file) throw notFound(`output file ${dataId} does not exist`);
    authorizeReadFile(caller, file);
    return { owners: file.owners, cmac: file.cmac ?? "" };
  }
}
