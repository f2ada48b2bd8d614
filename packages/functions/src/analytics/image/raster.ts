// A decoded image: 8-bit RGBA, row-major, not premultiplied (what every codec here reads and writes).
export interface Raster {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function hasTransparency(image: Raster): boolean {
  for (let i = 3; i < image.data.length; i += 4) if (image.data[i] !== 255) return true;
  return false;
}
