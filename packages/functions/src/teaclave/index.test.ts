import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBuiltin } from "../registry.js";

// spec/teaclave-compat.md §5.2: Teaclave dispatches on these exact names (two with underscores).
const TEACLAVE_NAMES = [
  "builtin-echo",
  "builtin-gbdt-predict",
  "builtin-gbdt-train",
  "builtin-logistic-regression-train",
  "builtin-logistic-regression-predict",
  "builtin_online_decrypt",
  "builtin-private-join-and-compute",
  "builtin-ordered-set-join",
  "builtin-ordered-set-intersect",
  "builtin-rsa-sign",
  "builtin_principal_components_analysis",
  "builtin-face-detection",
  "builtin-password-check",
];

test("the registry serves all thirteen Teaclave built-ins and builtin-copy under their exact names", async () => {
  for (const name of [...TEACLAVE_NAMES, "builtin-copy"])
    assert.equal((await loadBuiltin(name))?.name, name, name);
  assert.equal(await loadBuiltin("builtin-online-decrypt"), undefined);
});
