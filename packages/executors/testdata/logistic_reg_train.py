# Logistic regression training in pure Python (standard library only), after Teaclave's
# mesapy_logistic_reg journey: reads CSV rows (features..., label) from "training_data", standardizes
# the features, runs batch gradient descent, and writes the weights to "output_params" and the scaler
# (means, standard deviations) to "output_scaler", both with marshal.
import marshal
import math

from teaclave import open


def read_rows(file_id):
    rows = []
    with open(file_id, "rb") as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append([float(x) for x in line.split(b",")])
    return rows


def sigmoid(z):
    if z < -60:
        return 0.0
    return 1.0 / (1.0 + math.exp(-z))


def entrypoint(argv):
    args = dict(zip(argv[0::2], argv[1::2]))
    alpha = float(args.get("alpha", "0.3"))
    iterations = int(args.get("iterations", "100"))
    rows = read_rows("training_data")
    features = [row[:-1] for row in rows]
    labels = [row[-1] for row in rows]
    n = len(rows)
    columns = list(zip(*features))
    means = [sum(c) / n for c in columns]
    stds = [math.sqrt(sum((v - m) ** 2 for v in c) / n) or 1.0 for c, m in zip(columns, means)]
    scaled = [[(v - m) / s for v, m, s in zip(row, means, stds)] for row in features]
    weights = [0.0] * (len(means) + 1)
    for _ in range(iterations):
        gradient = [0.0] * len(weights)
        for x, y in zip(scaled, labels):
            error = sigmoid(weights[0] + sum(w * v for w, v in zip(weights[1:], x))) - y
            gradient[0] += error
            for j, v in enumerate(x):
                gradient[j + 1] += error * v
        weights = [w - alpha * g / n for w, g in zip(weights, gradient)]
    with open("output_params", "wb") as f:
        f.write(marshal.dumps(weights))
    with open("output_scaler", "wb") as f:
        f.write(marshal.dumps((means, stds)))
    print("trained on %d rows, %d features" % (n, len(means)))
    return "Trained %d rows" % n
