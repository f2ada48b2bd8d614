// The configuration file: limits map onto the platform configuration, and every bad field is refused
// with a message naming it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { defaultConfig } from "./config.js";
import { databaseSettings, loadServiceConfig, withLimits } from "./config-file.js";
import { DEFAULT_TASK_LIMITS } from "./execution/limits.js";

const dir = mkdtempSync(join(tmpdir(), "mesatee-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(toml: string) {
  const path = join(dir, `c${n++}.toml`);
  writeFileSync(path, toml);
  return loadServiceConfig(path);
}

test("the limits section overrides exactly the limits it names", () => {
  const file = load(`data_dir = "/var/lib/mesatee"
[limits]
max_message_bytes = 1048576
token_ttl_seconds = 3600
task_timeout_ms = 60000
task_memory_mb = 256
max_task_timeout_ms = 3600000
file_url_roots = ["/srv/in", "/srv/out"]
blocked_networks = ["10.0.0.0/8"]
max_download_bytes = 1000
max_upload_bytes = 2000
`);
  const base = defaultConfig({ dataDir: file.data_dir });
  const c = withLimits(base, file.limits);
  assert.equal(c.maxMessageBytes, 1048576);
  assert.equal(c.authentication.tokenTtlSeconds, 3600);
  assert.equal(c.authentication.minPasswordLength, base.authentication.minPasswordLength);
  assert.deepEqual(c.taskLimits, { ...DEFAULT_TASK_LIMITS, timeoutMs: 60000, memoryMb: 256 });
  assert.deepEqual(c.maxTaskLimits, { ...base.maxTaskLimits, timeoutMs: 3600000 });
  assert.deepEqual(c.limits.fileUrlRoots, ["/srv/in", "/srv/out"]);
  assert.equal(c.limits.maxUrlLength, base.limits.maxUrlLength);
  assert.deepEqual(c.fileAgent, {
    blockedNetworks: ["10.0.0.0/8"],
    maxDownloadBytes: 1000,
    maxUploadBytes: 2000,
  });
  // No limits section: the defaults, untouched.
  assert.deepEqual(withLimits(base, load(`data_dir = "/d"`).limits), base);
});

test("bad limits are refused with the field and the reason", () => {
  const refused = (limits: string, pattern: RegExp) =>
    assert.throws(
      () => load(`data_dir = "/d"\n[limits]\n${limits}\n`),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "INVALID_ARGUMENT");
        assert.match(e.message, pattern);
        return true;
      },
    );
  refused(
    `task_timeout_ms = 7200000\nmax_task_timeout_ms = 3600000`,
    /task_timeout_ms \(7200000\) is above limits\.max_task_timeout_ms/,
  );
  refused(`task_memory_mb = 9000`, /task_memory_mb \(9000\) is above limits\.max_task_memory_mb \(8192\)/);
  refused(`file_url_roots = ["relative/dir"]`, /limits\.file_url_roots\.0: expected an absolute path/);
  refused(`blocked_networks = ["10.0.0.0/99"]`, /limits\.blocked_networks/);
  refused(`max_message_bytes = 12`, /limits\.max_message_bytes/);
  refused(`task_timeout_ms = 1.5`, /limits\.task_timeout_ms/);
  refused(`token_ttl_seconds = "1h"`, /limits\.token_ttl_seconds/);
  refused(`tasks_timeout_ms = 1000`, /limits: Unrecognized key.*tasks_timeout_ms/);
});

test("database_url selects PostgreSQL with the [database] settings; a bad one is refused without echoing it", () => {
  const file = load(`data_dir = "/d"
database_url = "postgresql:///mesatee?host=/run/postgresql"
[database]
pool_size = 4
statement_timeout_ms = 5000
`);
  assert.deepEqual(databaseSettings(file), {
    databaseUrl: "postgresql:///mesatee?host=/run/postgresql",
    database: { poolSize: 4, statementTimeoutMs: 5000 },
  });
  assert.deepEqual(databaseSettings(load(`data_dir = "/d"`)), {}, "no database_url: SQLite");
  assert.equal(
    load(`data_dir = "/d"\ndatabase_url = "postgres://u:pw@db.internal:5432/mesatee"`).database_url,
    "postgres://u:pw@db.internal:5432/mesatee",
  );
  for (const bad of ["mysql://u:hunter2@db/x", "postgres://u:hunter2@db", "hunter2", ""])
    assert.throws(
      () => load(`data_dir = "/d"\ndatabase_url = "${bad}"`),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "INVALID_ARGUMENT");
        assert.match(e.message, /database_url/);
        assert.doesNotMatch(e.message, /hunter2/);
        return true;
      },
    );
  assert.throws(() => load(`data_dir = "/d"\ndatabase_url = "postgres://db/x"\n[database]\npool_size = 0`), {
    code: "INVALID_ARGUMENT",
  });
});
