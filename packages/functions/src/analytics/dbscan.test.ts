import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./common/random.js";
import { createDbscanFunction } from "./dbscan.js";
import { blobs, column, csv, python, refused, runFunction } from "./test-support.js";

const dbscanFn = createDbscanFunction();

/** True when both labelings are the same partition, with the same points marked noise (-1). */
function samePartition(ours: number[], theirs: number[]): boolean {
  const forward = new Map<number, number>();
  const backward = new Map<number, number>();
  return ours.every((a, i) => {
    const b = theirs[i]!;
    if ((a === -1) !== (b === -1)) return false;
    if (forward.has(a) && forward.get(a) !== b) return false;
    if (backward.has(b) && backward.get(b) !== a) return false;
    forward.set(a, b);
    backward.set(b, a);
    return true;
  });
}

function withNoise(
  seed: number,
  centers: number[][],
  perCluster: number,
  std: number,
  noise: number,
  spread: number,
) {
  const { rows } = blobs(seed, centers, perCluster, std);
  const random = new SeededRandom(seed + 100);
  for (let i = 0; i < noise; i++) rows.push(centers[0]!.map(() => (random.next() - 0.5) * spread));
  return rows;
}

async function cluster(rows: number[][], args: Record<string, unknown>) {
  const { summary, ctx } = await runFunction(dbscanFn, args, { training_data: csv(rows) }, ["result_file"]);
  return { summary, labels: column(ctx.output("result_file").toString()) };
}

test("labels equal scikit-learn's DBSCAN up to renumbering, noise included, in 1 to 5 dimensions", async () => {
  const cases = [
    { rows: withNoise(1, [[0], [5], [12]], 60, 0.4, 30, 30), eps: 0.3, min_samples: 4 },
    {
      rows: withNoise(
        2,
        [
          [0, 0],
          [4, 4],
          [-4, 5],
        ],
        150,
        0.6,
        80,
        20,
      ),
      eps: 0.5,
      min_samples: 5,
    },
    {
      rows: withNoise(
        3,
        [
          [0, 0, 0],
          [3, 3, 0],
          [0, 3, 3],
        ],
        120,
        0.5,
        60,
        12,
      ),
      eps: 0.6,
      min_samples: 6,
    },
    {
      rows: withNoise(
        4,
        [
          [0, 0, 0, 0, 0],
          [2, 2, 2, 0, 0],
          [0, 0, 2, 2, 2],
        ],
        150,
        0.4,
        60,
        8,
      ),
      eps: 0.9,
      min_samples: 5,
    },
  ];
  const sk = python(
    `import numpy as np
from sklearn.cluster import DBSCAN
print(json.dumps([DBSCAN(eps=c["eps"], min_samples=c["min_samples"]).fit(np.array(c["rows"])).labels_.tolist() for c in data]))`,
    cases,
  ) as number[][];
  for (const [i, c] of cases.entries()) {
    const { labels, summary } = await cluster(c.rows, { eps: c.eps, min_samples: c.min_samples });
    assert.ok(samePartition(labels, sk[i]!), `case ${i + 1}`);
    const clusters = new Set(labels.filter((l) => l >= 0)).size;
    const noise = labels.filter((l) => l === -1).length;
    assert.ok(clusters >= 3 && noise > 0, `case ${i + 1}: a non-trivial clustering`);
    assert.equal(
      summary,
      `Clustered ${c.rows.length} lines of data into ${clusters} clusters and ${noise} noise points.`,
    );
  }
});

test("two far-apart groups and an isolated point: labels in order of first core point, noise -1", async () => {
  const rows = [
    [0, 0],
    [0, 0.1],
    [0.1, 0],
    [10, 10],
    [10, 10.1],
    [10.1, 10],
    [50, 50],
  ];
  const { labels } = await cluster(rows, { eps: 0.5, min_samples: 3 });
  assert.deepEqual(labels, [0, 0, 0, 1, 1, 1, -1]);
});

test(
  "100 000 points in the plane cluster quickly (the grid avoids comparing all pairs)",
  { timeout: 30_000 },
  async () => {
    const { rows } = blobs(
      5,
      [
        [0, 0],
        [30, 0],
        [0, 30],
        [30, 30],
      ],
      25_000,
      3,
    );
    const { labels } = await cluster(rows, { eps: 0.3, min_samples: 10 });
    assert.equal(labels.length, 100_000);
    assert.ok(new Set(labels.filter((l) => l >= 0)).size >= 4);
  },
);

test("bad arguments, modes and data are refused", async () => {
  await refused(cluster([[1, 2]], { eps: 0 }), "INVALID_ARGUMENT", /argument eps must be greater than 0/);
  await refused(
    cluster([[1, 2]], { min_samples: 0 }),
    "INVALID_ARGUMENT",
    /argument min_samples must be at least 1/,
  );
  await refused(
    cluster([[1, 2]], { mode: "train" }),
    "INVALID_ARGUMENT",
    /argument mode must be one of train-predict/,
  );
  await refused(
    runFunction(dbscanFn, {}, { training_data: "1,2\n3\n" }, ["result_file"]),
    "INVALID_INPUT",
    /^input training_data line 2: expected 2 fields like line 1, found 1$/,
  );
  await refused(
    runFunction(dbscanFn, {}, { training_data: "1,2\n", data_file: "1,2\n" }, ["result_file"]),
    "INVALID_ARGUMENT",
    /does not use input data_file/,
  );
});
