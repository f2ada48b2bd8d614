# Logistic regression prediction, the second step of the journey: reads the weights and scaler a
# training task wrote ("input_params", "input_scaler", marshal) and CSV feature rows ("input_data");
# writes one predicted label per line to "output_prediction" and returns them as "[1.0 0.0 ...]".
import marshal
import math


def entrypoint(argv):
    with teaclave_open("input_params", "rb") as f:
        weights = marshal.loads(f.read())
    with teaclave_open("input_scaler", "rb") as f:
        means, stds = marshal.loads(f.read())
    labels = []
    with teaclave_open("input_data", "rb") as f:
        for line in f.read().decode("utf-8").splitlines():
            if not line.strip():
                continue
            x = [(float(v) - m) / s for v, m, s in zip(line.split(","), means, stds)]
            z = weights[0] + sum(w * v for w, v in zip(weights[1:], x))
            labels.append(1.0 if z >= 0 else 0.0)
    with teaclave_open("output_prediction", "wb") as f:
        f.write("\n".join(str(label) for label in labels) + "\n")
    return "[" + " ".join(str(label) for label in labels) + "]"
