// Plain SVG charts for the manager page: grouped bars (columns over short categories such as
// hours or days, rows for named ones such as services), optionally a line on a second axis.
// No library: a few rectangles, lines and labels are all these figures need.

const SVG = "http://www.w3.org/2000/svg";
const W = 640;
const H = 300;
const PAD = { left: 48, right: 48, top: 16, bottom: 40 };
const FONT_SIZE = 13;
const ROW_BAR = 12; // one bar's thickness in a row chart
const LABEL_MAX = 190; // the widest a row's name may be before it is shortened

function node(tag, attrs = {}, text = null) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== null) el.textContent = text;
  return el;
}

// Gridlines over min..max (0 always among them): about `count` steps of 1, 2 or 5 times a
// power of ten, at least 1 when `integer`. `decimals` is what the step needs, so at that
// precision no two labels are the same (never "0 0 1 1 1" for waits under two minutes).
export function niceTicks(min, max, { count = 4, integer = false } = {}) {
  const lo = Math.min(0, Number.isFinite(min) ? min : 0);
  let hi = Math.max(0, Number.isFinite(max) ? max : 0);
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
  if (integer) step = Math.max(1, step);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const round = (v) => Number(v.toFixed(decimals));
  const bottom = round(step * Math.floor(lo / step + 1e-9));
  const top = round(step * Math.ceil(hi / step - 1e-9));
  const ticks = [];
  for (let i = 0; bottom + i * step <= top + step * 1e-6; i += 1) ticks.push(round(bottom + i * step));
  return { ticks, step, bottom, top, decimals };
}

function tickText(value, decimals) {
  const lang = document.documentElement.lang || "da";
  return value.toLocaleString(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

let measurer = null;
// The width of `text` in the charts' font, in the SVG's units.
function textWidth(text) {
  measurer ??= document.createElement("canvas").getContext("2d");
  measurer.font = `${FONT_SIZE}px ${getComputedStyle(document.body).fontFamily}`;
  return measurer.measureText(text).width;
}

// `text` shortened with "…" to at most `width`; the full text goes in the label's title.
function fitted(text, width) {
  if (textWidth(text) <= width) return text;
  let cut = text.length;
  while (cut > 1 && textWidth(`${text.slice(0, cut)}…`) > width) cut -= 1;
  return `${text.slice(0, cut)}…`;
}

function label(attrs, text, width) {
  const shown = fitted(text, width);
  const el = node("text", { "font-size": FONT_SIZE, fill: "#1d2327", class: "category", ...attrs }, shown);
  if (shown !== text) el.append(node("title", {}, text));
  return el;
}

// One category's bars (placed by `bar(value, j)` for the j-th series) and marks (`markAt`).
function categoryGroup({ category, key, i, series, marks, format }, bar, markAt) {
  const group = node("g", { class: "category-group", "data-key": key });
  series.forEach((s, j) => {
    const value = valueOf(s.values[i]);
    const rect = node("rect", { ...bar(value, j), fill: s.color, "data-series": s.label, "data-value": value });
    rect.append(node("title", {}, `${category}: ${s.label} ${format(value)}`));
    group.append(rect);
  });
  for (const mark of marks ?? []) {
    const value = mark.values[i];
    if (value === null || value === undefined) continue;
    group.append(node("line", {
      ...markAt(value), stroke: mark.color, "stroke-width": 2, "stroke-dasharray": "4 2", "data-mark": mark.label, "data-value": value,
    }));
  }
  return group;
}

function valueOf(v) {
  return v === null || v === undefined ? 0 : v;
}

// categories: labels along x (keys: what each is, for a data-key; default the label); series: [{label, color, values}]; line: {label, color, values,
// format, minStep} (drawn against the right axis); marks: [{label, color, values}] short ticks
// per category (e.g. a target); integer: whole-number gridlines (counts); format: a value as
// its bar's tooltip says it. Values may be negative. With `horizontal`, each category is a row
// with its name beside it (no line then). Returns the <svg>, titled for screen readers.
export function barChart(options) {
  return options.horizontal ? rowChart(options) : columnChart(options);
}

function columnChart({ title, categories, keys = categories, series, line = null, marks = null, format = String, integer = false }) {
  const svg = node("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  svg.append(node("title", {}, title));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const values = [...series, ...(marks ?? [])].flatMap((s) => s.values.map(valueOf));
  const left = niceTicks(Math.min(...values), Math.max(...values), { integer });
  const y = (v) => PAD.top + (plotH * (left.top - valueOf(v))) / (left.top - left.bottom);
  for (const v of left.ticks) {
    svg.append(node("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), stroke: "#e1e5e9" }));
    svg.append(node("text", {
      x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", "font-size": FONT_SIZE, fill: "#5f6b73", class: "tick",
    }, tickText(v, left.decimals)));
  }
  const band = plotW / Math.max(1, categories.length);
  const barW = (band * 0.75) / Math.max(1, series.length);
  // Label every `every`-th category, so that no two labels touch (e.g. 92 days).
  const widest = Math.max(0, ...categories.map((c) => textWidth(c)));
  const every = Math.max(1, Math.ceil((widest + 8) / band));
  categories.forEach((category, i) => {
    const x0 = PAD.left + band * i + band * 0.125;
    svg.append(categoryGroup({ category, key: keys[i], i, series, marks, format },
      (value, j) => ({
        x: x0 + barW * j, y: Math.min(y(value), y(0)), width: Math.max(1, barW - 1), height: Math.abs(y(0) - y(value)),
      }),
      (value) => ({ x1: x0 - 2, x2: x0 + band * 0.75 + 2, y1: y(value), y2: y(value) })));
    if (i % every === 0) {
      const centre = PAD.left + band * i + band / 2;
      const room = Math.min(band * every - 4, 2 * Math.min(centre, W - centre) - 4);
      svg.append(label({ x: centre, y: H - PAD.bottom + 18, "text-anchor": "middle" }, category, room));
    }
  });
  if (line) drawLine(svg, line, band, plotH);
  svg.append(node("line", { x1: PAD.left, x2: W - PAD.right, y1: y(0), y2: y(0), stroke: "#5f6b73" }));
  return svg;
}

function drawLine(svg, line, band, plotH) {
  const right = niceTicks(0, Math.max(0, ...line.values.map(valueOf)), { integer: line.integer ?? false });
  const yr = (v) => PAD.top + plotH - (plotH * v) / right.top;
  for (const v of right.ticks) {
    svg.append(node("text", {
      x: W - PAD.right + 6, y: yr(v) + 4, "font-size": FONT_SIZE, fill: line.color, class: "tick tick-right",
    }, tickText(v, right.decimals)));
  }
  const points = line.values
    .map((v, i) => (v === null || v === undefined ? null : [PAD.left + band * i + band / 2, yr(v)]))
    .filter(Boolean);
  if (!points.length) return;
  svg.append(node("polyline", {
    points: points.map((p) => p.join(",")).join(" "), fill: "none", stroke: line.color, "stroke-width": 2,
  }));
  for (const [cx, cy] of points) svg.append(node("circle", { cx, cy, r: 3, fill: line.color }));
}

// Named categories as rows: the name left of its bars, never rotated nor clipped (a long one
// is shortened, the full name in its title); the value axis along the bottom.
function rowChart({ title, categories, keys = categories, series, marks = null, format = String, integer = false }) {
  const nameW = Math.min(LABEL_MAX, Math.max(40, ...categories.map((c) => textWidth(c)))) + 10;
  const left = nameW + 8;
  const rowH = Math.max(2, series.length) * ROW_BAR + 10;
  const height = PAD.top + rowH * Math.max(1, categories.length) + PAD.bottom;
  const svg = node("svg", { viewBox: `0 0 ${W} ${height}`, role: "img", "aria-label": title });
  svg.append(node("title", {}, title));
  const plotW = W - left - 24;
  const bottom = height - PAD.bottom;
  const values = [...series, ...(marks ?? [])].flatMap((s) => s.values.map(valueOf));
  const axis = niceTicks(Math.min(...values), Math.max(...values), { integer });
  const x = (v) => left + (plotW * (valueOf(v) - axis.bottom)) / (axis.top - axis.bottom);
  for (const v of axis.ticks) {
    svg.append(node("line", { x1: x(v), x2: x(v), y1: PAD.top, y2: bottom, stroke: "#e1e5e9" }));
    svg.append(node("text", {
      x: x(v), y: bottom + 18, "text-anchor": "middle", "font-size": FONT_SIZE, fill: "#5f6b73", class: "tick",
    }, tickText(v, axis.decimals)));
  }
  categories.forEach((category, i) => {
    const y0 = PAD.top + rowH * i + 5;
    svg.append(categoryGroup({ category, key: keys[i], i, series, marks, format },
      (value, j) => ({ x: Math.min(x(value), x(0)), y: y0 + ROW_BAR * j, width: Math.abs(x(value) - x(0)), height: ROW_BAR - 1 }),
      (value) => ({ x1: x(value), x2: x(value), y1: y0 - 3, y2: y0 + rowH - 7 })));
    svg.append(label({ x: nameW, y: y0 + (rowH - 10) / 2 + 4, "text-anchor": "end" }, category, nameW - 4));
  });
  svg.append(node("line", { x1: x(0), x2: x(0), y1: PAD.top, y2: bottom, stroke: "#5f6b73" }));
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

// Put a chart and its legend into the figure `id`, replacing the ones drawn before.
export function chartInto(id, svg, items) {
  const figure = document.getElementById(id);
  figure.querySelector("svg")?.remove();
  figure.querySelector(".legend")?.remove();
  figure.append(svg, legend(items));
}

// A value in minutes for a bar's tooltip, to a tenth ("0,4 min").
export function minutesText(v) {
  return `${(Math.round(v * 10) / 10).toLocaleString(document.documentElement.lang || "da")} min`;
}
