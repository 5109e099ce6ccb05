// The manager page: live figures per area and service (staff WebSocket), hints to open a
// desk, and the statistics of a chosen day with charts and a CSV download.
import {
  api, applyTexts, branch, connectLive, download, el, minutes, newestOnly, secondsSince, serviceName,
  setupLanguage, setupSignIn, state, t, token, useTexts,
} from "./common.js";
import { barChart, chartInto, minutesText } from "./charts.js";
import { redrawHistory, setupHistory, showHistory } from "./manager-history.js";
import { MANAGER_TEXTS } from "./manager-texts.js";
import { render as renderControls } from "./manager-controls.js";
import { loadDemand, renderDemand } from "./manager-demand.js";

useTexts(MANAGER_TEXTS);

const $ = (id) => document.getElementById(id);
const COLORS = { a: "#0b5cad", b: "#7fb2e5", line: "#b35c00", target: "#b3261e", bad: "#c8776f" };

let overview = null;
let you = null;
let live = null;
let stats = null;
// The first render loads today's figures; a day chosen before they are in must win.
const statsLoads = newestOnly();

function show(section) {
  $("sign-in").hidden = section !== "sign-in";
  $("not-manager").hidden = section !== "not-manager";
  $("content").hidden = section !== "content";
  $("sign-out").hidden = section === "sign-in";
}

// --- live -----------------------------------------------------------------------

function render() {
  if (!overview || !you) return;
  $("branch-name").textContent = overview.name;
  $("who").textContent = t("you", { staff: you.staff_id });
  if (you.role !== "manager") return show("not-manager");
  const first = $("content").hidden;
  show("content");
  renderHints();
  renderAreas();
  renderDesks();
  renderControls(overview);
  if (first) {
    loadStats();
    showHistory(overview);
    loadDemand();
  }
}

function renderHints() {
  $("hints").replaceChildren(
    ...overview.hints.map((h) => el("li", { dataset: { area: h.area } }, h.text[state.lang])),
  );
}

function longest(s, now) {
  return s.waiting && s.longest_since ? secondsSince(s.longest_since, now) : 0;
}

function renderAreas() {
  const now = Date.now();
  const rows = [];
  for (const area of overview.areas) {
    const areaLongest = Math.max(0, ...area.services.map((s) => longest(s, now)));
    rows.push(el("tr", { class: "area-row", dataset: { area: area.area } },
      el("td", {}, area.name),
      el("td", { class: "num" }, String(area.waiting)),
      el("td", { class: "num" }, area.waiting ? minutes(areaLongest) : t("none")),
      el("td", { class: "num" }, ""),
      el("td", {}, area.open_desks.map((d) => `${d.name} (${d.staff})`).join(", ") || t("none")),
      el("td", { class: "num" }, String(area.served)),
      el("td", { class: "num" }, String(area.no_show))));
    for (const s of area.services) {
      const waited = longest(s, now);
      const late = s.waiting && waited > s.target_wait_s;
      rows.push(el("tr", { dataset: { service: s.service } },
        el("td", {}, serviceName(s)),
        el("td", { class: "num" }, String(s.waiting)),
        el("td", { class: late ? "num late" : "num" },
          `${s.waiting ? minutes(waited) : t("none")} / ${minutes(s.target_wait_s)}`),
        el("td", { class: s.estimated_wait_s > s.target_wait_s && s.waiting ? "num late" : "num" },
          minutes(s.estimated_wait_s)),
        el("td", {}, s.desks.map((id) => deskLabel(id)).join(", ") || t("none")),
        el("td", { class: "num" }, String(s.served)),
        el("td", { class: "num" }, String(s.no_show))));
    }
  }
  $("overview-rows").replaceChildren(...rows);
}

function deskLabel(id) {
  const desk = overview.counters.find((c) => c.counter === id);
  return desk ? `${desk.name} (${desk.staff})` : id;
}

function renderDesks() {
  $("desks").replaceChildren(
    ...overview.counters.map((desk) => el("div", { class: `desk ${desk.open ? "open" : "closed"}`, dataset: { counter: desk.counter } },
      el("strong", {}, desk.name), " ",
      desk.open ? `· ${desk.staff}` : `· ${t("desk.closed")}`,
      el("div", { class: "muted" }, desk.open
        ? desk.services.map((id) => serviceName(overview.areas.flatMap((a) => a.services).find((s) => s.service === id) ?? { service: id })).join(", ")
        : ""),
      el("div", {}, desk.ticket ? `${desk.ticket.number} · ${t(`status.${desk.ticket.status}`)}` : desk.open ? t("desk.free") : ""))),
  );
}

// --- statistics ---------------------------------------------------------------------

function localToday() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function statsPath(format) {
  const date = $("stats-date").value || overview?.day || localToday();
  const query = new URLSearchParams({ date });
  if (format) query.set("format", format);
  return `/api/v1/branches/${encodeURIComponent(branch)}/stats?${query}`;
}

async function loadStats() {
  if (!$("stats-date").value) $("stats-date").value = overview?.day ?? localToday();
  $("stats-date").max = overview?.day ?? localToday();
  $("stats-status").textContent = t("stats.loading");
  $("stats-error").textContent = "";
  $("stats-error").className = "message";
  const current = statsLoads.take();
  try {
    const answer = await api("GET", statsPath());
    if (!current()) return;
    stats = answer;
    renderStats();
  } catch (error) {
    if (!current()) return;
    $("stats-status").textContent = "";
    $("stats-error").textContent = error.text;
    $("stats-error").className = "message error";
    if (error.status === 401) signOut("bad");
  }
}

async function downloadCsv() {
  try {
    await download(statsPath("csv"), `qms-${branch}-${$("stats-date").value}.csv`);
  } catch (error) {
    $("stats-error").textContent = error.text;
    $("stats-error").className = "message error";
  }
}

function percent(share) {
  return share === null || share === undefined ? t("none") : `${Math.round(share * 100)} %`;
}

function renderStats() {
  if (!stats) return;
  $("stats-status").textContent = `${stats.date}: ${t(stats.complete ? "stats.complete" : "stats.partial")}`;
  const rows = [...stats.services, stats.total].map((s) => el("tr", { dataset: { service: s.service } },
    el("td", {}, s.service === "all" ? s.name[state.lang] : serviceName(s)),
    ...["issued", "served", "no_show", "cancelled"].map((k) => el("td", { class: "num" }, String(s[k]))),
    ...["wait_p50_s", "wait_p90_s", "wait_max_s", "service_p50_s", "service_p90_s"].map((k) =>
      el("td", { class: "num" }, minutes(s[k]))),
    el("td", { class: "num" }, percent(s.within_target))));
  $("stats-rows").replaceChildren(...rows);
  renderAppointmentStats();
  drawCharts();
}

// The services that take bookings (the live overview knows), and any the day's log booked.
function bookedServices() {
  const bookable = new Set(overview.areas.flatMap((a) => a.services).filter((s) => s.slot_min).map((s) => s.service));
  return stats.services.filter((s) => bookable.has(s.service) || s.appointments_booked > 0);
}

// Seconds after the booked time: "3 min late", "2 min early".
function punctuality(seconds) {
  if (seconds === null || seconds === undefined) return t("none");
  const whole = Math.round(Math.abs(seconds) / 60);
  if (whole === 0) return t("sign.on_time");
  return t(seconds < 0 ? "sign.early" : "sign.late", { minutes: whole });
}

function renderAppointmentStats() {
  const services = bookedServices();
  $("appointment-stats").hidden = services.length === 0;
  const rows = [...services, stats.total].map((s) => el("tr", { dataset: { service: s.service } },
    el("td", {}, s.service === "all" ? s.name[state.lang] : serviceName(s)),
    ...["appointments_booked", "appointments_checked_in", "appointments_missed", "appointments_cancelled"]
      .map((k) => el("td", { class: "num" }, String(s[k]))),
    ...["punctuality_p50_s", "punctuality_p90_s"].map((k) => el("td", { class: "num" }, punctuality(s[k])))));
  $("appointment-rows").replaceChildren(...(services.length ? rows : []));
}

function drawCharts() {
  const hours = stats.total.hours;
  const used = hours.filter((h) => h.arrivals > 0).map((h) => h.hour);
  const from = used.length ? Math.min(...used) : 8;
  const to = used.length ? Math.max(...used) : 16;
  const shown = hours.filter((h) => h.hour >= from && h.hour <= to);
  const toMin = (s) => (s === null || s === undefined ? null : s / 60);
  chartInto("chart-hours", barChart({
    title: t("chart.hours"),
    categories: shown.map((h) => String(h.hour).padStart(2, "0")),
    series: [{ label: t("legend.arrivals"), color: COLORS.a, values: shown.map((h) => h.arrivals) }],
    line: { label: t("legend.wait"), color: COLORS.line, values: shown.map((h) => toMin(h.average_wait_s)), format: minutesText, integer: true },
    format: (v) => String(Math.round(v)),
    integer: true,
  }), [
    { label: t("legend.arrivals"), color: COLORS.a },
    { label: t("legend.wait"), color: COLORS.line },
  ]);
  const services = stats.services;
  const names = services.map((s) => serviceName(s));
  chartInto("chart-waits", barChart({
    title: t("chart.waits"),
    categories: names,
    series: [
      { label: t("legend.p50"), color: COLORS.b, values: services.map((s) => toMin(s.wait_p50_s)) },
      { label: t("legend.p90"), color: COLORS.a, values: services.map((s) => toMin(s.wait_p90_s)) },
    ],
    marks: [{ label: t("legend.target"), color: COLORS.target, values: services.map((s) => toMin(s.target_wait_s)) }],
    format: minutesText,
    horizontal: true,
  }), [
    { label: t("legend.p50"), color: COLORS.b },
    { label: t("legend.p90"), color: COLORS.a },
    { label: t("legend.target"), color: COLORS.target },
  ]);
  chartInto("chart-served", barChart({
    title: t("chart.served"),
    categories: names,
    series: [
      { label: t("legend.served"), color: COLORS.a, values: services.map((s) => s.served) },
      { label: t("legend.no_show"), color: COLORS.bad, values: services.map((s) => s.no_show) },
    ],
    format: (v) => String(Math.round(v)),
    integer: true,
    horizontal: true,
  }), [
    { label: t("legend.served"), color: COLORS.a },
    { label: t("legend.no_show"), color: COLORS.bad },
  ]);
  drawAppointmentCharts(toMin);
}

function drawAppointmentCharts(toMin) {
  const booked = bookedServices();
  $("chart-appointments").hidden = booked.length === 0;
  $("chart-punctuality").hidden = booked.length === 0;
  if (!booked.length) return;
  const names = booked.map((s) => serviceName(s));
  const outcomes = [
    { key: "appointments_checked_in", label: t("appt.checked_in"), color: COLORS.a },
    { key: "appointments_missed", label: t("appt.missed"), color: COLORS.bad },
    { key: "appointments_cancelled", label: t("appt.cancelled"), color: COLORS.b },
  ];
  chartInto("chart-appointments", barChart({
    title: t("chart.appointments"),
    categories: names,
    series: outcomes.map((o) => ({ label: o.label, color: o.color, values: booked.map((s) => s[o.key]) })),
    marks: [{ label: t("appt.booked"), color: COLORS.line, values: booked.map((s) => s.appointments_booked) }],
    format: (v) => String(Math.round(v)),
    integer: true,
    horizontal: true,
  }), [...outcomes, { label: t("appt.booked"), color: COLORS.line }]);
  chartInto("chart-punctuality", barChart({
    title: t("chart.punctuality"),
    categories: names,
    series: [
      { label: t("legend.p50"), color: COLORS.b, values: booked.map((s) => toMin(s.punctuality_p50_s)) },
      { label: t("legend.p90"), color: COLORS.a, values: booked.map((s) => toMin(s.punctuality_p90_s)) },
    ],
    format: minutesText,
    horizontal: true,
  }), [
    { label: t("legend.p50"), color: COLORS.b },
    { label: t("legend.p90"), color: COLORS.a },
  ]);
}

$("stats-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadStats();
});
$("stats-csv").addEventListener("click", downloadCsv);

// --- signing in and out ------------------------------------------------------------

function startLive() {
  $("live-status").textContent = t("live.connecting");
  live = connectLive({
    onFrame(frame) {
      if (frame.you) you = frame.you;
      overview = frame.overview;
      render();
    },
    onRefused: (reason) => signOut(reason),
    onStatus(status) {
      $("live-status").textContent = t(`live.${status}`);
      $("live-status").dataset.status = status;
    },
  });
}

// refused: false (signed out), "bad" (a wrong token) or "slowed" (too many of them).
function signOut(refused = false) {
  live?.stop();
  live = null;
  token.clear();
  overview = null;
  you = null;
  stats = null;
  $("who").textContent = "";
  $("live-status").textContent = "";
  $("sign-in-error").textContent = refused ? t(`signin.${refused}`) : "";
  show("sign-in");
}

$("sign-out").addEventListener("click", () => signOut(false));
setupSignIn($("sign-in-form"), $("token-input"), startLive);
setupLanguage($("lang"), () => {
  render();
  renderStats();
  redrawHistory();
  renderDemand();
});
setupHistory();

applyTexts();
// Waits move with the clock: redraw the live table every second (no requests).
setInterval(() => {
  if (overview && !$("content").hidden) renderAreas();
}, 1000);

if (token.get()) startLive();
else signOut(false);
