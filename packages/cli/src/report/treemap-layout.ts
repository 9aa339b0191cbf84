export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * Squarified treemap layout (Bruls, Huizing, van Wijk): places `values` (sorted largest first by
 * the caller) in `box` with areas proportional to them, laying rows along the shorter side so the
 * rectangles stay close to squares. Returns one box per value, in the same order; zero values get
 * empty boxes.
 */
export function squarify(values: readonly number[], box: Box): Box[] {
  const total = values.reduce((sum, v) => sum + Math.max(0, v), 0);
  const out: Box[] = values.map(() => ({ x: box.x, y: box.y, w: 0, h: 0 }));
  if (total <= 0 || box.w <= 0 || box.h <= 0) return out;
  const scale = (box.w * box.h) / total;
  let free = { ...box };
  let row: number[] = [];
  const areaOf = (i: number) => Math.max(0, values[i] as number) * scale;
  const worst = (indices: number[], side: number) => {
    const areas = indices.map(areaOf);
    const sum = areas.reduce((a, b) => a + b, 0);
    if (sum === 0) return Number.POSITIVE_INFINITY;
    const max = Math.max(...areas);
    const min = Math.min(...areas);
    return Math.max((side * side * max) / (sum * sum), (sum * sum) / (side * side * Math.max(min, 1e-9)));
  };
  const place = (indices: number[]) => {
    const sum = indices.reduce((a, i) => a + areaOf(i), 0);
    if (free.w >= free.h) {
      // A column at the left, as wide as its area needs.
      const width = free.h > 0 ? sum / free.h : 0;
      let y = free.y;
      for (const i of indices) {
        const h = width > 0 ? areaOf(i) / width : 0;
        out[i] = { x: free.x, y, w: width, h };
        y += h;
      }
      free = { x: free.x + width, y: free.y, w: Math.max(0, free.w - width), h: free.h };
    } else {
      const height = free.w > 0 ? sum / free.w : 0;
      let x = free.x;
      for (const i of indices) {
        const w = height > 0 ? areaOf(i) / height : 0;
        out[i] = { x, y: free.y, w, h: height };
        x += w;
      }
      free = { x: free.x, y: free.y + height, w: free.w, h: Math.max(0, free.h - height) };
    }
  };
  const order = values.map((_, i) => i).filter((i) => (values[i] as number) > 0);
  for (const i of order) {
    const side = Math.min(free.w, free.h);
    if (row.length === 0 || worst([...row, i], side) <= worst(row, side)) row.push(i);
    else {
      place(row);
      row = [i];
    }
  }
  if (row.length) place(row);
  return out;
}
