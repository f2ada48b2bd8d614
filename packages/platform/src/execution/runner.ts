// Runs one staged task end to end: download each input, check its tag against the registered one,
// decrypt into staging, run the function isolated with limits, encrypt each output for its owner,
// upload, and report the outcome. Every failure becomes a reason a participant can act on.
// Downloads are staged as they arrive and outputs encrypted as they are uploaded, except for
// teaclave-file-128, which is read and written out of order and so goes through a file.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { Readable } from "node:stream";
import { isCryptoError, type FileCrypto } from "@mesatee/crypto";
import type { StagedTask } from "../domain/tasks.js";
import { FileAgentError, redactUrl, type FileAgent } from "../file-agent/index.js";
import type { TaskOutcome } from "../scheduler/scheduler.js";
import { IsolatePool, type IsolatePoolOptions } from "./isolate.js";
import { effectiveLimits, type TaskLimits } from "./limits.js";
import type { IsolateInput } from "./protocol.js";
import { finishOutput, stageInput, streamOutput, type OutputStream } from "./staging.js";

export interface RunnerConfig {
  /** Where per-task working directories are made (ciphertext and staged files only). */
  readonly workDir: string;
  readonly defaults: TaskLimits;
  readonly maximum: TaskLimits;
  /** Idle isolate processes kept ready (each serves one task). */
  readonly warmIsolates?: number;
  /** Per-family warm-up, sandbox namespaces and user-function I/O limits. */
  readonly isolates?: IsolatePoolOptions;
}

class TaskFailure extends Error {}

const toCrypto = (c: { schema: string; key: string; iv: string }): FileCrypto => ({
  schema: c.schema as FileCrypto["schema"],
  key: Buffer.from(c.key, "hex"),
  iv: Buffer.from(c.iv, "hex"),
});

/** The name a downloaded or uploaded file carries: the URL's last path segment (Teaclave's rule). */
function fileNameOf(url: string, fallback: string): string {
  try {
    const name = decodeURIComponent(basename(new URL(url).pathname));
    return name && name !== "/" && !name.includes("\0") ? name : fallback;
  } catch {
    return fallback;
  }
}

function describe(error: unknown): string {
  if (error instanceof FileAgentError) return error.message;
  if (isCryptoError(error)) {
    if (error.code === "TAG_MISMATCH") return "the file does not match its registered tag";
    if (error.code === "NAME_MISMATCH") return `the file is bound to another name (${error.message})`;
    if (error.code === "CORRUPTED" || error.code === "WRONG_KEY")
      return "cannot decrypt: the file was modified or the key is wrong (authentication failed)";
    return `cannot decrypt: ${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

export class TaskRunner {
  private readonly pool: IsolatePool;

  constructor(
    private readonly agent: FileAgent,
    private readonly config: RunnerConfig,
  ) {
    this.pool = new IsolatePool(config.warmIsolates ?? 1, config.defaults.memoryMb, config.isolates ?? {});
  }

  close(): void {
    this.pool.close();
  }

  async run(staged: StagedTask, signal: AbortSignal): Promise<TaskOutcome> {
    await mkdir(this.config.workDir, { recursive: true, mode: 0o700 });
    const dir = await mkdtemp(join(this.config.workDir, "task-"));
    const key = randomBytes(32);
    try {
      const inputs: Record<string, string> = {};
      for (const [i, [name, file]] of Object.entries(staged.inputs).entries()) {
        if (signal.aborted) return canceled();
        inputs[name] = await this.fetchInput(dir, i, name, file, key, signal);
      }
      const outputs: Record<string, string> = {};
      Object.keys(staged.outputs).forEach((name, i) => (outputs[name] = join(dir, `out-${i}.staged`)));

      const limits = effectiveLimits(this.config.defaults, this.config.maximum, staged.limits);
      const isolateInput: IsolateInput = {
        taskId: staged.taskId,
        family: staged.executorFamily,
        functionName: staged.functionName,
        payload: staged.functionPayload,
        args: staged.functionArguments,
        inputs,
        outputs,
        stagingKey: key.toString("hex"),
        maxOutputBytes: limits.maxOutputBytes,
        maxLogLines: limits.maxLogLines,
        maxLogLineBytes: limits.maxLogLineBytes,
      };
      const result = await this.pool.run(isolateInput, limits, signal);
      if (!result.ok) {
        if ("canceled" in result && result.canceled) return canceled();
        return { kind: "err", reason: result.reason, log: result.log };
      }

      const tags: Record<string, string> = {};
      for (const [name, file] of Object.entries(staged.outputs)) {
        if (signal.aborted) return canceled();
        if (!result.written.includes(name))
          throw new TaskFailure(`output ${name} was not written by the function`);
        tags[name] = await this.deliverOutput(dir, name, outputs[name]!, file, key, signal);
      }
      return { kind: "ok", returnValue: Buffer.from(result.returnValue, "utf8"), tags, log: result.log };
    } catch (error) {
      if (signal.aborted) return canceled();
      if (error instanceof TaskFailure) return { kind: "err", reason: error.message, log: [] };
      return { kind: "err", reason: `internal error: ${describe(error)}`, log: [] };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async fetchInput(
    dir: string,
    index: number,
    name: string,
    file: StagedTask["inputs"][string],
    key: Buffer,
    signal: AbortSignal,
  ): Promise<string> {
    const fileName = fileNameOf(file.url, `${name}.bin`);
    const stagedPath = join(dir, `in-${index}.staged`);
    const crypto = toCrypto(file.crypto);
    const expectedTag = crypto.schema === "raw" || !file.cmac ? undefined : Buffer.from(file.cmac, "hex");
    const downloadFailed = (error: unknown): TaskFailure =>
      new TaskFailure(`input ${name}: download from ${redactUrl(file.url)} failed: ${describe(error)}`);
    // Its metadata node comes first but is sealed last, and its MHT nodes are read out of order.
    const sequential = crypto.schema !== "teaclave-file-128";
    const inDir = sequential ? undefined : await mkdtemp(join(dir, "in-"));
    let source: string | Readable;
    try {
      if (inDir === undefined) source = await this.agent.openDownload(file.url, signal);
      else {
        source = join(inDir, fileName);
        await this.agent.download(file.url, source, signal);
      }
    } catch (error) {
      if (inDir !== undefined) await rm(inDir, { recursive: true, force: true });
      throw downloadFailed(error);
    }
    // A failed download also fails the decryption reading it; the download says why.
    let downloadError: unknown;
    if (typeof source !== "string") source.on("error", (error: unknown) => (downloadError ??= error));
    try {
      await stageInput(crypto, source, expectedTag, fileName, stagedPath, key);
    } catch (error) {
      if (downloadError !== undefined) throw downloadFailed(downloadError);
      throw new TaskFailure(`input ${name}: ${describe(error)}`);
    } finally {
      if (typeof source !== "string") source.destroy();
      if (inDir !== undefined) await rm(inDir, { recursive: true, force: true });
    }
    return stagedPath;
  }

  private async deliverOutput(
    dir: string,
    name: string,
    stagedPath: string,
    file: StagedTask["outputs"][string],
    key: Buffer,
    signal: AbortSignal,
  ): Promise<string> {
    await stat(stagedPath).catch(() => {
      throw new TaskFailure(`output ${name} was not written by the function`);
    });
    const fileName = fileNameOf(file.url, `${name}.bin`);
    const crypto = toCrypto(file.crypto);
    const uploadFailed = (error: unknown): TaskFailure =>
      new TaskFailure(`output ${name}: upload to ${redactUrl(file.url)} failed: ${describe(error)}`);
    if (crypto.schema === "teaclave-file-128") {
      // Written out of order (its MHT nodes are sealed last), so it is encrypted into a file first.
      const outDir = await mkdtemp(join(dir, "out-"));
      const encrypted = join(outDir, fileName);
      let tag: Uint8Array;
      try {
        tag = await finishOutput(stagedPath, key, crypto, encrypted, fileName);
      } catch (error) {
        throw new TaskFailure(`output ${name}: ${describe(error)}`);
      }
      try {
        await this.agent.upload(encrypted, file.url, signal);
      } catch (error) {
        throw uploadFailed(error);
      }
      return Buffer.from(tag).toString("hex");
    }
    let output: OutputStream;
    try {
      output = await streamOutput(stagedPath, key, crypto, fileName);
    } catch (error) {
      throw new TaskFailure(`output ${name}: ${describe(error)}`);
    }
    const sent = await this.agent.uploadStream(output.ciphertext, output.length, file.url, signal).then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    const sealed = await output.tag.then(
      (tag) => ({ tag }),
      (error: unknown) => ({ error }),
    );
    // Encrypting and sending fail together. A crypto failure other than its stream being closed is
    // the cause; otherwise the upload's failure is.
    if ("error" in sealed && !isCryptoError(sealed.error, "IO_ERROR"))
      throw new TaskFailure(`output ${name}: ${describe(sealed.error)}`);
    if (sent !== undefined) throw uploadFailed(sent.error);
    if ("error" in sealed) throw new TaskFailure(`output ${name}: ${describe(sealed.error)}`);
    return Buffer.from(sealed.tag).toString("hex");
  }
}

function canceled(): TaskOutcome {
  return { kind: "err", reason: "canceled", log: [] };
}
