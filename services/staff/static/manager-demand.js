// The manager page's demand heat map: GET .../demand (weeks of the log), one service at a
// time, weekday × hour. Each cell says, as text, the desks needed to serve 80 % within the
// service's target (Erlang C) beside the desks that were open then on average; the colour
// repeats the need, and a cell with fewer desks open than needed is marked "for få".
// Self-contained (its own words, Danish first) beside the page's other parts.
import { api, branch, el, newestOnly, state } from "./common.js";

const WORDS = {
  da: {
    title: "Behov og bemanding",
    help: "Hvert felt: skranker, der skal til for at betjene 80 % inden for målet (Erlang C), / skranker, der i gennemsnit var åbne. Under: ankomster pr. time og betjeningstid. Ud fra loggens sidste {weeks} uger ({from} – {to}, {days} dage med data).",
    service: "Ydelse",
    weeks: "Uger",
    show: "Vis",
    loading: "Henter …",
    caption: "{service}: skranker nødvendige / åbne pr. ugedag og time",
    weekday: "Ugedag",
    short: "for få",
    cell: "{needed} nødvendige, {open} åbne, {arrivals} ankomster pr. time, {minutes} min betjening",
    per_h: "{n}/t",
    empty: "Loggen har endnu ingen ankomster eller åbne skranker i perioden.",
    failed: "Kunne ikke hente behovet: {detail}",
    days: ["man", "tir", "ons", "tor", "fre", "lør", "søn"],
  },
  en: {
    title: "Demand and staffing",
    help: "Each cell: desks needed to serve 80 % within the target (Erlang C) / desks open on average. Below: arrivals per hour and service time. From the log's last {weeks} weeks ({from} – {to}, {days} days with data).",
    service: "Service",
    weeks: "Weeks",
    show: "Show",
    loading: "Loading …",
    caption: "{service}: desks needed / open per weekday and hour",
    weekday: "Weekday",
    short: "too few",
    cell: "{needed} needed, {open} open, {arrivals} arrivals per hour, {minutes} min service",
    per_h: "{n}/h",
    empty: "The log has no arrivals or open desks in the period yet.",
    failed: "Could not load the demand: {detail}",
    days: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
  },
};
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LEVELS = 5;

const view = { demand: null, service: null, weeks: 8, error: "" };
const loads = newestOnly(); // weeks asked for while a load is out: the newest wins

function tr(key, values = {}) {
  const text = WORDS[state.lang][key] ?? WORDS.da[key];
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function number(value, digits = 1) {
  return value.toLocaleString(state.lang === "da" ? "da-DK" : "en-GB", {
    maximumFractionDigits: digits,
  });
}

export async function loadDemand() {
  const section = document.getElementById("demand");
  if (!section) return;
  view.error = "";
  section.dataset.state = "loading";
  renderDemand();
  const current = loads.take();
  try {
    const path = `/api/v1/branches/${encodeURIComponent(branch)}/demand?weeks=${view.weeks}`;
    const answer = await api("GET", path);
    if (!current()) return;
    view.demand = answer;
    const first = view.demand.services.find((s) => s.hours.length) ?? view.demand.services[0];
    if (!view.demand.services.some((s) => s.service === view.service)) view.service = first?.service;
    section.dataset.state = "ready";
  } catch (error) {
    if (!current()) return;
    view.error = tr("failed", { detail: error.text ?? error.message });
    section.dataset.state = "failed";
  }
  renderDemand();
}

function controls() {
  const services = view.demand?.services ?? [];
  const select = el("select", { id: "demand-service" },
    services.map((s) => el("option", { value: s.service, selected: s.service === view.service },
      s.name[state.lang] ?? s.service)));
  select.addEventListener("change", () => {
    view.service = select.value;
    renderDemand();
  });
  const weeks = el("input", { id: "demand-weeks", type: "number", min: 1, max: 52, value: view.weeks });
  const form = el("form", { class: "stats-controls" },
    el("div", {}, el("label", { for: "demand-service" }, tr("service")), select),
    el("div", {}, el("label", { for: "demand-weeks" }, tr("weeks")), weeks),
    el("button", { type: "submit" }, tr("show")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    view.weeks = Math.min(52, Math.max(1, Number(weeks.value) || 8));
    loadDemand();
  });
  return form;
}

function heatTable(service) {
  const hours = service.hours;
  const first = Math.min(...hours.map((h) => h.hour));
  const last = Math.max(...hours.map((h) => h.hour));
  const most = Math.max(1, ...hours.map((h) => h.desks_needed));
  const at = new Map(hours.map((h) => [`${h.weekday} ${h.hour}`, h]));
  const span = Array.from({ length: last - first + 1 }, (_, i) => first + i);
  const head = el("tr", {}, el("th", { scope: "col" }, tr("weekday")),
    span.map((hour) => el("th", { scope: "col", class: "num" }, String(hour).padStart(2, "0"))));
  const rows = WEEKDAYS.map((weekday, index) => el("tr", { dataset: { weekday } },
    el("th", { scope: "row" }, (WORDS[state.lang] ?? WORDS.da).days[index]),
    span.map((hour) => cell(at.get(`${weekday} ${hour}`), most))));
  return el("table", { class: "heat" },
    el("caption", {}, tr("caption", { service: service.name[state.lang] ?? service.service })),
    el("thead", {}, head), el("tbody", {}, rows));
}

function cell(figures, most) {
  if (!figures) return el("td", { class: "heat-cell" }, "");
  const open = figures.desks_open;
  const short = Math.round(open) < figures.desks_needed;
  const level = Math.ceil((figures.desks_needed / most) * LEVELS);
  const label = tr("cell", {
    needed: figures.desks_needed,
    open: number(open),
    arrivals: number(figures.arrivals_per_h),
    minutes: figures.service_min === null ? "–" : number(figures.service_min),
  });
  return el("td", {
    class: `heat-cell heat-${level}${short ? " short" : ""}`,
    title: label,
    dataset: { hour: figures.hour, needed: figures.desks_needed, open },
  },
  el("span", { class: "heat-main" }, `${figures.desks_needed} / ${number(open)}`),
  el("span", { class: "heat-sub" }, tr("per_h", { n: number(figures.arrivals_per_h) })),
  short ? el("span", { class: "heat-short" }, tr("short")) : null);
}

export function renderDemand() {
  const section = document.getElementById("demand");
  if (!section) return;
  const parts = [el("h2", {}, tr("title")), controls()];
  if (section.dataset.state === "loading") parts.push(el("p", { class: "muted", role: "status" }, tr("loading")));
  if (view.error) parts.push(el("p", { class: "message error", role: "alert" }, view.error));
  const demand = view.demand;
  const service = demand?.services.find((s) => s.service === view.service);
  if (demand && !view.error) {
    parts.push(el("p", { class: "muted" },
      tr("help", { weeks: demand.weeks, from: demand.from, to: demand.to, days: demand.days })));
    parts.push(service && service.hours.length
      ? el("div", { class: "table-wrap" }, heatTable(service))
      : el("p", { class: "muted" }, tr("empty")));
  }
  section.replaceChildren(...parts);
}
