/**
 * The call's jitter-buffer graph: buffer depth (ms) as a line, lost and late packets per sample as
 * bars, on a canvas sized to its box and the screen's pixel ratio. Keeps the last `capacity` samples.
 */
export interface JitterSample {
  depthMs: number | null;
  lost: number;
  late: number;
}

export class JitterGraph {
  private samples: JitterSample[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly capacity = 90,
  ) {}

  clear(): void {
    this.samples = [];
    this.draw();
  }

  push(s: JitterSample): void {
    this.samples.push(s);
    if (this.samples.length > this.capacity) this.samples.shift();
    this.draw();
  }

  get length(): number {
    return this.samples.length;
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, c.clientWidth);
    const hgt = Math.max(1, c.clientHeight);
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(hgt * dpr)) {
      c.width = Math.round(w * dpr);
      c.height = Math.round(hgt * dpr);
    }
    const g = c.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const css = getComputedStyle(c);
    const line = css.getPropertyValue('--graph-line').trim() || '#2f6f5e';
    const lostColor = css.getPropertyValue('--graph-lost').trim() || '#c0392b';
    const lateColor = css.getPropertyValue('--graph-late').trim() || '#d68910';
    const grid = css.getPropertyValue('--graph-grid').trim() || 'rgba(0,0,0,.08)';
    const pad = 4;
    const plotH = hgt - pad * 2;
    const step = w / this.capacity;
    const depths = this.samples.map((s) => s.depthMs ?? 0);
    const top = Math.max(60, ...depths) * 1.15;
    g.strokeStyle = grid;
    g.lineWidth = 1;
    for (let i = 1; i < 4; i++) {
      const y = pad + (plotH * i) / 4;
      g.beginPath();
      g.moveTo(0, y);
      g.lineTo(w, y);
      g.stroke();
    }
    const x0 = w - this.samples.length * step;
    const maxBar = Math.max(1, ...this.samples.map((s) => s.lost + s.late));
    this.samples.forEach((s, i) => {
      const x = x0 + i * step;
      const lostH = (s.lost / maxBar) * plotH * 0.4;
      const lateH = (s.late / maxBar) * plotH * 0.4;
      g.fillStyle = lostColor;
      g.fillRect(x, hgt - pad - lostH, Math.max(1, step - 1), lostH);
      g.fillStyle = lateColor;
      g.fillRect(x, hgt - pad - lostH - lateH, Math.max(1, step - 1), lateH);
    });
    g.strokeStyle = line;
    g.lineWidth = 2;
    g.beginPath();
    let started = false;
    this.samples.forEach((s, i) => {
      if (s.depthMs === null) return;
      const x = x0 + i * step + step / 2;
      const y = pad + plotH - (s.depthMs / top) * plotH;
      if (started) g.lineTo(x, y);
      else g.moveTo(x, y);
      started = true;
    });
    g.stroke();
  }
}
