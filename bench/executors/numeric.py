# A numeric Python function for the Python executor benchmark, standard library only: spectral norm,
# an n-body simulation and a dense matrix product over lists. entrypoint(argv) follows MesaPy's ABI;
# run-cpython.py runs the same file under the machine's CPython.
import math


def spectral_norm(n):
    def a(i, j):
        return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)

    def times(v, transpose):
        return [sum((a(j, i) if transpose else a(i, j)) * v[j] for j in range(n)) for i in range(n)]

    u = [1.0] * n
    for _ in range(10):
        v = times(times(u, False), True)
        u = times(times(v, False), True)
    return math.sqrt(sum(x * y for x, y in zip(u, v)) / sum(x * x for x in v))


def nbody(steps):
    bodies = [
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 39.47841760435743],
        [4.84, -1.16, -0.10, 0.606, 2.81, -0.02, 0.037],
        [8.34, 4.12, -0.40, -1.01, 1.82, 0.008, 0.011],
        [12.89, -15.11, -0.22, 1.08, 0.868, -0.01, 0.0017],
        [15.37, -25.91, 0.17, 0.979, 0.594, -0.034, 0.002],
    ]
    dt = 0.01
    for _ in range(steps):
        for i in range(5):
            bi = bodies[i]
            for j in range(i + 1, 5):
                bj = bodies[j]
                dx, dy, dz = bi[0] - bj[0], bi[1] - bj[1], bi[2] - bj[2]
                d2 = dx * dx + dy * dy + dz * dz
                mag = dt / (d2 * math.sqrt(d2))
                bi[3] -= dx * bj[6] * mag
                bi[4] -= dy * bj[6] * mag
                bi[5] -= dz * bj[6] * mag
                bj[3] += dx * bi[6] * mag
                bj[4] += dy * bi[6] * mag
                bj[5] += dz * bi[6] * mag
        for b in bodies:
            b[0] += dt * b[3]
            b[1] += dt * b[4]
            b[2] += dt * b[5]
    return sum(b[0] + b[1] + b[2] for b in bodies)


def matmul(n):
    a = [[(i * j) % 7 / 7.0 for j in range(n)] for i in range(n)]
    b = [[(i + j) % 5 / 5.0 for j in range(n)] for i in range(n)]
    bt = list(zip(*b))
    c = [[sum(x * y for x, y in zip(row, col)) for col in bt] for row in a]
    return sum(map(sum, c))


def entrypoint(argv):
    args = dict(zip(argv[0::2], argv[1::2]))
    scale = float(args.get("scale", "1"))
    results = (
        spectral_norm(int(120 * scale)),
        nbody(int(20000 * scale)),
        matmul(int(90 * scale)),
    )
    return " ".join("%.9f" % r for r in results)
