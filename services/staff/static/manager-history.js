// The manager page's statistics across days (GET .../stats?from=&to=): from/to pickers,
// tickets per day and area, and one service's median and 90 % wait per day against its
// target, with the range's own figures (of all its waits, not averages of days) beside them.
import {
  api, applyTexts, branch, download, el, newestOnly, serviceName, state, t, useTexts,
} from "./common.js";
import { barChart, chartInto, minutesText } from "./charts.js";

useTexts({
  da: {
    "history.title": "Udvikling over dage",
    "history.from": "Fra",
    "history.to": "Til",
    "history.service": "Ventetid for",
    "history.show": "Vis",
    "history.loading": "Henter …",
    "history.days": "{from} – {to}: {days} dage",
    "history.partial": "(i dag indtil nu)",
    "history.summary": "{service}, hele perioden: {issued} trukket, ventetid median {p50}, 90 % {p90}, {within} inden for målet ({target}).",
    "chart.volume": "Trukne numre pr. dag og område",
    "chart.daily_waits": "Ventetid pr. dag (median og 90 %) mod målet",
  },
  en: {
    "history.title": "Across days",
    "history.from": "From",
    "history.to": "To",
    "history.service": "Waits for",
    "history.show": "Show",
    "history.loading": "Loading …",
    "history.days": "{from} – {to}: {days} days",
    "history.partial": "(today so far)",
    "history.summary": "{service}, whole range: {issued} issued, wait median {p50}, 90 % {p90}, {within} within target ({target}).",
    "chart.volume": "Tickets issued per day and area",
    "chart.daily_waits": "Wait per day (median and 90 %) against target",
  },
});

const DEFAULT_DAYS = 14; // two weeks up to today, the first time
const AREA_COLORS = ["#0b5cad", "#b35c00", "#2e7d32", "#7b1fa2", "#5f6b73", "#c8776f"];
const COLORS = { p50: "#7fb2e5", p90: "#0b5cad", target: "#b3261e" };
const $ = (id) => document.getElementById(id);

let overview = null;
let range = null;
const rangeLoads = newestOnly(); // a range chosen while the first is out wins

function section() {
  const field = (id, key, input) => el("div", {}, el("label", { for: id, "data-t": key }), input);
  return [
    el("h2", { "data-t": "history.title" }),
    el("form", { id: "history-form", class: "stats-controls" },
      field("history-from", "history.from", el("input", { type: "date", id: "history-from", required: true })),
      field("history-to", "history.to", el("input", { type: "date", id: "history-to", required: true })),
      el("button", { type: "submit", "data-t": "history.show" }),
      el("button", { type: "button", id: "history-csv", "data-t": "stats.csv" }),
      el("span", { id: "history-status", class: "muted", role: "status" })),
    el("p", { id: "history-error", class: "message", role: "alert" }),
    el("div", { class: "charts" },
      el("figure", { class: "chart", id: "chart-volume" }, el("h3", { "data-t": "chart.volume" })),
      el("figure", { class: "chart", id: "chart-daily-waits" },
        el("h3", { "data-t": "chart.daily_waits" }),
        field("history-service", "history.service", el("select", { id: "history-service" })))),
    el("p", { id: "history-summary", class: "muted" }),
  ];
}

// Builds the section into #history and wires its controls (once, at page load).
export function setupHistory() {
  $("history").replaceChildren(...section());
  applyTexts($("history"));
  $("history-form").addEventListener("submit", (event) => {
    event.preventDefault();
    loadRange();
  });
  $("history-csv").addEventListener("click", downloadCsv);
  $("history-service").addEventListener("change", drawRange);
}

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function daysBefore(day, count) {
  return isoDay(new Date(Date.parse(`${day}T00:00:00Z`) - count * 86_400_000));
}

// The first overview: today is known, so the pickers get their defaults and the range loads.
export function showHistory(first) {
  overview = first;
  for (const id of ["history-from", "history-to"]) $(id).max = overview.day;
  if (!$("history-to").value) $("history-to").value = overview.day;
  if (!$("history-from").value) $("history-from").value = daysBefore(overview.day, DEFAULT_DAYS - 1);
  loadRange();
}

function rangePath(format) {
  const query = new URLSearchParams({ from: $("history-from").value, to: $("history-to").value });
  if (format) query.set("format", format);
  return `/api/v1/branches/${encodeURIComponent(branch)}/stats?${query}`;
}

function failed(error) {
  $("history-status").textContent = "";
  $("history-error").textContent = error.text;
  $("history-error").className = "message error";
}

async function loadRange() {
  $("history-status").textContent = t("history.loading");
  $("history-error").textContent = "";
  $("history-error").className = "message";
  const current = rangeLoads.take();
  let answer;
  try {
    answer = await api("GET", rangePath());
  } catch (error) {
    if (current()) failed(error);
    return;
  }
  if (!current()) return;
  range = answer;
  fillServices();
  drawRange();
}

async function downloadCsv() {
  try {
    await download(rangePath("csv"), `qms-${branch}-${$("history-from").value}--${$("history-to").value}.csv`);
  } catch (error) {
    failed(error);
  }
}

// The services to pick a wait chart of; the one picked stays picked (default: the busiest).
function fillServices() {
  const select = $("history-service");
  const kept = select.value;
  const busiest = [...range.services].sort((a, b) => b.issued - a.issued)[0];
  select.replaceChildren(...range.services.map((s) => el("option", { value: s.service }, serviceName(s))));
  const known = range.services.some((s) => s.service === kept);
  select.value = known ? kept : busiest?.service ?? "";
}

function dayLabel(day) {
  const date = new Date(`${day}T12:00:00Z`);
  return date.toLocaleDateString(state.lang, { day: "numeric", month: "numeric", timeZone: "UTC" });
}

function toMin(seconds) {
  return seconds === null || seconds === undefined ? null : seconds / 60;
}

// Redraws in the page's language (the words changed, the figures did not).
export function redrawHistory() {
  if (!range) return;
  fillServices();
  drawRange();
}

function drawRange() {
  if (!range) return;
  const days = range.days;
  const status = t("history.days", { from: dayLabel(range.from), to: dayLabel(range.to), days: days.length });
  $("history-status").textContent = range.complete ? status : `${status} ${t("history.partial")}`;
  const categories = days.map((d) => dayLabel(d.date));
  const keys = days.map((d) => d.date);
  const areas = overview?.areas ?? [];
  const volume = areas.map((area, i) => ({
    label: area.name,
    color: AREA_COLORS[i % AREA_COLORS.length],
    values: days.map((d) => d.services.filter((s) => s.area === area.area).reduce((sum, s) => sum + s.issued, 0)),
  }));
  chartInto("chart-volume", barChart({
    title: t("chart.volume"), categories, keys, series: volume, format: String, integer: true,
  }), volume.map((s) => ({ label: s.label, color: s.color })));

  const id = $("history-service").value;
  const daily = days.map((d) => d.services.find((s) => s.service === id) ?? null);
  const whole = range.services.find((s) => s.service === id);
  const series = [
    { label: t("legend.p50"), color: COLORS.p50, values: daily.map((s) => toMin(s?.wait_p50_s)) },
    { label: t("legend.p90"), color: COLORS.p90, values: daily.map((s) => toMin(s?.wait_p90_s)) },
  ];
  const target = { label: t("legend.target"), color: COLORS.target, values: daily.map((s) => toMin(s?.target_wait_s)) };
  chartInto("chart-daily-waits", barChart({
    title: `${t("chart.daily_waits")}: ${whole ? serviceName(whole) : ""}`,
    categories, keys, series, marks: [target], format: minutesText,
  }), [...series, target].map((s) => ({ label: s.label, color: s.color })));
  $("history-summary").textContent = whole ? summary(whole) : "";
}

function summary(s) {
  const wait = (seconds) => (seconds === null || seconds === undefined ? t("none") : minutesText(seconds / 60));
  return t("history.summary", {
    service: serviceName(s),
    issued: s.issued,
    p50: wait(s.wait_p50_s),
    p90: wait(s.wait_p90_s),
    within: s.within_target === null ? t("none") : `${Math.round(s.within_target * 100)} %`,
    target: wait(s.target_wait_s),
  });
}
