// Plain SVG charts for the manager page: grouped bars, optionally a line on a second axis.
// No library: a few rectangles, lines and labels are all these figures need.

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 300;
const PAD = { left: 48, right: 48, top: 16, bottom: 56 };

function node(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

// A round step so that about `count` gridlines cover 0..max.
// `minStep` 1 keeps counts on whole numbers.
function niceMax(max, count = 4, minStep = 0) {
  if (!(max > 0)) return { top: Math.max(1, minStep), step: Math.max(1, minStep) };
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(minStep, [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw));
  return { top: step * Math.ceil(max / step), step };
}

// The same for min..max where min may be below 0 (e.g. "called 5 min early"): 0 stays a gridline.
function niceRange(min, max, count = 4, minStep = 0) {
  if (!(min < 0)) return { bottom: 0, ...niceMax(max, count, minStep) };
  const { step } = niceMax(max - min, count, minStep);
  return { bottom: -step * Math.ceil(-min / step), top: Math.max(step, step * Math.ceil(max / step)), step };
}

// categories: labels along x; series: [{label, color, values}]; line: {label, color, values}
// (drawn against the right axis); marks: [{label, color, values}] short ticks per category
// (e.g. a target); minStep: the least gridline step (1 for counts). Values may be negative.
// Returns the <svg>, titled for screen readers.
export function barChart({ title, categories, series, line = null, marks = null, format = String, minStep = 0 }) {
  const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  svg.append(node("title", {}, title));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const values = [...series, ...(marks ?? [])].flatMap((s) => s.values.map((v) => v ?? 0));
  const left = niceRange(Math.min(0, ...values), Math.max(0, ...values), 4, minStep);
  const y = (v) => PAD.top + (plotH * (left.top - (v ?? 0))) / (left.top - left.bottom);

  for (let v = left.bottom; v <= left.top + 1e-9; v += left.step) {
    svg.append(node("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), stroke: "#e1e5e9" }));
    svg.append(node("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": 13, fill: "#5f6b73" }, format(v)));
  }
  const band = plotW / Math.max(1, categories.length);
  const barW = (band * 0.75) / Math.max(1, series.length);
  categories.forEach((category, i) => {
    const x0 = PAD.left + band * i + band * 0.125;
    series.forEach((s, j) => {
      const value = s.values[i] ?? 0;
      const rect = node("rect", {
        x: x0 + barW * j, y: Math.min(y(value), y(0)), width: Math.max(1, barW - 1), height: Math.abs(y(0) - y(value)),
        fill: s.color, "data-series": s.label, "data-value": value,
      });
      rect.append(node("title", {}, `${category}: ${s.label} ${format(value)}`));
      svg.append(rect);
    });
    for (const mark of marks ?? []) {
      const value = mark.values[i];
      if (value === null || value === undefined) continue;
      svg.append(node("line", {
        x1: x0 - 2, x2: x0 + band * 0.75 + 2, y1: y(value), y2: y(value),
        stroke: mark.color, "stroke-width": 2, "stroke-dasharray": "4 2",
      }));
    }
    const label = node("text", {
      x: x0 + (band * 0.75) / 2, y: H - PAD.bottom + 16, "text-anchor": "middle", "font-size": 13, fill: "#1d2327",
    }, category);
    if (categories.length > 8) {
      label.setAttribute("transform", `rotate(-40 ${x0 + (band * 0.75) / 2} ${H - PAD.bottom + 16})`);
      label.setAttribute("text-anchor", "end");
    }
    svg.append(label);
  });

  if (line) {
    const right = niceMax(Math.max(0, ...line.values.map((v) => v ?? 0)), 4, line.minStep ?? 0);
    const yr = (v) => PAD.top + plotH - (plotH * v) / right.top;
    for (let v = 0; v <= right.top + 1e-9; v += right.step) {
      svg.append(node("text", { x: W - PAD.right + 6, y: yr(v) + 4, "font-size": 13, fill: line.color }, line.format(v)));
    }
    const points = line.values
      .map((v, i) => (v === null || v === undefined ? null : [PAD.left + band * i + band / 2, yr(v)]))
      .filter(Boolean);
    if (points.length) {
      svg.append(node("polyline", {
        points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: line.color, "stroke-width": 2,
      }));
      for (const [cx, cy] of points) svg.append(node("circle", { cx, cy, r: 3, fill: line.color }));
    }
  }
  svg.append(node("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), stroke: "#5f6b73" }));
  return svg;
}

export function legend(items) {
  const box = document.createElement("div");
  box.className = "legend";
  for (const item of items) {
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = item.color;
    box.append(swatch, item.label);
  }
  return box;
}
