// A place for ciphertext: any server that answers GET and PUT on URLs the platform can reach will do
// (S3 through presigned URLs, a web server). This one keeps files in a temporary directory and listens
// on a loopback port of its own. It only ever holds ciphertext.
import { Buffer } from "node:buffer";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

export async function startCiphertextHost() {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-example-"));
  const pathOf = (url) => join(dir, basename(decodeURIComponent(new URL(url, "http://host").pathname)));
  const server = createServer(async (req, res) => {
    try {
      if (req.method === "PUT") {
        const chunks = [];
        for await (const chunk of req) chunks.push(chunk);
        await writeFile(pathOf(req.url), Buffer.concat(chunks));
        res.writeHead(201).end();
      } else if (req.method === "GET") {
        res.writeHead(200).end(await readFile(pathOf(req.url)));
      } else res.writeHead(405).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    urlOf: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
