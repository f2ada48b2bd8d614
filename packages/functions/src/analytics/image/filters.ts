// The resampling filters, named and shaped as in the Rust `image` crate (imageops::FilterType): a kernel
// and its support (half-width, in source pixels at scale 1).
export const FILTERS = ["Nearest", "Triangle", "CatmullRom", "Gaussian", "Lanczos3"] as const;
export type FilterName = (typeof FILTERS)[number];

export interface Filter {
  readonly kernel: (x: number) => number;
  readonly support: number;
}

/** Mitchell–Netravali's cubic family; b = 0, c = 0.5 is Catmull–Rom. */
function cubic(x: number, b: number, c: number): number {
  const a = Math.abs(x);
  let k = 0;
  if (a < 1) k = (12 - 9 * b - 6 * c) * a ** 3 + (-18 + 12 * b + 6 * c) * a ** 2 + (6 - 2 * b);
  else if (a < 2)
    k = (-b - 6 * c) * a ** 3 + (6 * b + 30 * c) * a ** 2 + (-12 * b - 48 * c) * a + (8 * b + 24 * c);
  return k / 6;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const a = Math.PI * x;
  return Math.sin(a) / a;
}

export const FILTER: Record<FilterName, Filter> = {
  // Support 0: exactly one source pixel, the one under the sample point.
  Nearest: { kernel: () => 1, support: 0 },
  Triangle: { kernel: (x) => Math.max(0, 1 - Math.abs(x)), support: 1 },
  CatmullRom: { kernel: (x) => cubic(x, 0, 0.5), support: 2 },
  // A normal density with standard deviation 0.5.
  Gaussian: { kernel: (x) => Math.exp(-2 * x * x) / (Math.sqrt(2 * Math.PI) * 0.5), support: 3 },
  Lanczos3: { kernel: (x) => (Math.abs(x) < 3 ? sinc(x) * sinc(x / 3) : 0), support: 3 },
};
