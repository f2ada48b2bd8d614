// A real HTTP file server for tests: GET serves files from a directory, PUT stores the request body.
// Hooks let a test refuse uploads, corrupt downloads or stall responses.
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, normalize } from "node:path";
import { pipeline } from "node:stream/promises";

export interface FileServer {
  readonly root: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  urlOf(name: string): string;
  path(name: string): string;
  /** Paths (as requested) of uploads refused with 403. */
  readonly refusePut: Set<string>;
  readonly puts: string[];
  /**
   * Holds GETs of `name`: the server sends the headers and the first half of the body, then waits until
   * `release(name)` (or the client goes away). `requested(name)` resolves when such a GET arrives.
   */
  hold(name: string): void;
  release(name: string): void;
  requested(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const root = mkdtempSync(join(tmpdir(), "mesatee-files-"));
  const refusePut = new Set<string>();
  const puts: string[] = [];
  const gates = new Map<string, { open: Promise<void>; release: () => void }>();
  const arrivals = new Map<string, { seen: Promise<void>; arrive: () => void }>();
  const arrival = (name: string) => {
    let a = arrivals.get(name);
    if (!a) {
      let arrive!: () => void;
      const seen = new Promise<void>((r) => (arrive = r));
      a = { seen, arrive };
      arrivals.set(name, a);
    }
    return a;
  };
  const server = http.createServer((req, res) => {
    const rel = normalize(decodeURIComponent((req.url ?? "/").split("?")[0]!)).replace(/^(\.\.[/\\])+/, "");
    const path = join(root, rel);
    if (req.method === "GET") {
      if (!existsSync(path) || !statSync(path).isFile()) {
        res.writeHead(404).end();
        return;
      }
      const size = statSync(path).size;
      res.writeHead(200, { "content-length": size });
      const name = rel.replace(/^\//, "");
      const gate = gates.get(name);
      arrival(name).arrive();
      if (!gate) {
        createReadStream(path).pipe(res);
        return;
      }
      const half = Math.floor(size / 2);
      createReadStream(path, { start: 0, end: half - 1 })
        .on("end", () => {
          gate.open.then(
            () => {
              if (!res.destroyed) createReadStream(path, { start: half }).pipe(res);
            },
            () => {},
          );
        })
        .pipe(res, { end: false });
    } else if (req.method === "PUT") {
      if (refusePut.has(rel.replace(/^\//, ""))) {
        req.resume();
        res.writeHead(403).end();
        return;
      }
      pipeline(req, createWriteStream(path)).then(
        () => {
          puts.push(rel.replace(/^\//, ""));
          res.writeHead(201).end();
        },
        () => res.writeHead(500).end(),
      );
    } else res.writeHead(405).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    root,
    url,
    urlOf: (name) => `${url}/${name}`,
    path: (name) => join(root, name),
    refusePut,
    puts,
    hold(name) {
      let release!: () => void;
      const open = new Promise<void>((r) => (release = r));
      gates.set(name, { open, release });
    },
    release(name) {
      gates.get(name)?.release();
      gates.delete(name);
    },
    requested: (name) => arrival(name).seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const g of gates.values()) g.release();
        server.closeAllConnections();
        server.close(() => {
          rmSync(root, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** The shared fixtures folder beside the repository (`../shared/fixtures`). */
export function fixturesDir(): string {
  let dir = new URL(".", import.meta.url).pathname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, "..", "shared", "fixtures");
    if (existsSync(join(dir, "package-lock.json")) && existsSync(candidate)) return normalize(candidate);
    dir = join(dir, "..");
  }
  throw new Error("the shared fixtures folder (../shared/fixtures) was not found");
}
