// Book a time (/book/{branch}), phone first: a service, a day, a free time, book.
//
// The bookable services, their names and the branch's time zone are in the
// page (the branch file's); free slots come from
// GET /api/v1/branches/{branch}/appointments/slots?service=&from=&days=, a
// fortnight at a time up to the branch's horizon. Booking is
// POST /api/v1/branches/{branch}/appointments {"service", "start"} with one
// Idempotency-Key for every retry; then the booking's own page takes over.
// Each step is a group of radio buttons (arrow keys move, labels are the
// accessible names); a step appears once the one before has an answer.

import { addDays, daysBetween, dateText, localParts, postRetrying, request, show, timeText } from "./common.js";
import { DANISH, applyLanguage, localName, phoneLanguage, words } from "./i18n.js";

const t = words("book");
const BATCH_DAYS = 14;
const REFUSALS = {
  slot_full: "e_taken",
  in_the_past: "e_past",
  too_far_ahead: "e_gone",
  outside_hours: "e_gone",
  not_bookable: "e_gone",
  rate_limited: "e_limit",
};

const body = document.body;
const branch = body.dataset.branch;
const zone = body.dataset.timezone;
const horizon = Number(body.dataset.horizonDays) || 0;
const services = JSON.parse(body.dataset.services || "[]");
const api = `/api/v1/branches/${encodeURIComponent(branch)}`;
const $ = (id) => document.getElementById(id);

const page = {
  lang: DANISH, // the remembered one once its catalogue is in (below)
  service: null,
  days: [], // the API's days so far, in order
  nextFrom: null, // the first day not asked for yet
  day: null,
  slot: null, // the chosen slot {start, end, free}
  loading: false,
  loadFailed: false,
  generation: 0, // a newer service choice makes older answers stale
  error: null,
  busy: false,
};

const today = () => localParts(new Date(), zone).date;
const lastDay = () => addDays(today(), horizon);
const serviceOf = (id) => services.find((s) => s.id === id);
const nameOf = (service) => (service ? localName(service.name, page.lang) : "");
const timeOf = (iso) => timeText(page.lang, localParts(iso, zone).time);
const upcoming = (slot) => Date.parse(slot.start) > Date.now();

function radio(name, value, main, sub, { checked = false, disabled = false } = {}) {
  const label = document.createElement("label");
  label.className = "choice";
  const input = document.createElement("input");
  input.type = "radio";
  input.name = name;
  input.value = value;
  input.checked = checked;
  input.disabled = disabled;
  const mainText = document.createElement("span");
  mainText.className = "choice-main";
  mainText.textContent = main;
  label.append(input, mainText);
  if (sub) {
    const subText = document.createElement("span");
    subText.className = "choice-sub";
    subText.textContent = sub;
    label.append(subText);
  }
  return label;
}

function freeText(n) {
  return n ? t(page.lang, "free", { n }) : t(page.lang, "free_none");
}

function dayLabel(date) {
  const written = dateText(page.lang, date, today().slice(0, 4));
  const away = daysBetween(today(), date);
  if (away === 0) return `${t(page.lang, "today")} · ${written}`;
  if (away === 1) return `${t(page.lang, "tomorrow")} · ${written}`;
  return written.charAt(0).toUpperCase() + written.slice(1);
}

// Days that have slots at all (a closed weekday is left out), with the free count.
function shownDays() {
  return page.days
    .filter((day) => day.slots.length)
    .map((day) => ({ ...day, free: day.slots.filter((s) => s.free > 0 && upcoming(s)).length }))
    .filter((day) => day.free > 0 || day.slots.some(upcoming));
}

function renderServices() {
  const holder = $("services");
  holder.replaceChildren();
  for (const service of services) {
    const sub = service.slot_min ? t(page.lang, "slot_length", { n: service.slot_min }) : "";
    holder.append(radio("service", service.id, nameOf(service), sub, { checked: page.service === service.id }));
  }
}

function renderDays() {
  const holder = $("days");
  holder.replaceChildren();
  const days = shownDays();
  for (const day of days) {
    holder.append(radio("day", day.date, dayLabel(day.date), freeText(day.free), {
      checked: page.day === day.date,
      disabled: day.free === 0,
    }));
  }
  const more = page.nextFrom !== null && page.nextFrom <= lastDay();
  let status = "";
  if (page.loading) status = t(page.lang, "loading");
  else if (page.loadFailed) status = t(page.lang, "load_failed");
  else if (!days.some((d) => d.free > 0) && !more) status = t(page.lang, "no_days", { n: horizon });
  else if (!more && days.length) status = t(page.lang, "no_more", { n: horizon });
  $("days-status").textContent = status;
  const button = $("more-days");
  button.textContent = t(page.lang, page.loadFailed ? "retry" : "more_days");
  show(button, !page.loading && (more || page.loadFailed));
}

function renderTimes() {
  const holder = $("times");
  holder.replaceChildren();
  const day = page.days.find((d) => d.date === page.day);
  if (!day) return;
  for (const slot of day.slots.filter(upcoming)) {
    const full = slot.free <= 0;
    holder.append(radio("time", slot.start, timeOf(slot.start), full ? t(page.lang, "taken") : "", {
      checked: page.slot !== null && page.slot.start === slot.start,
      disabled: full,
    }));
  }
}

function renderSummary() {
  if (!page.slot) return;
  $("summary").textContent = t(page.lang, "summary", {
    service: nameOf(serviceOf(page.service)),
    day: dayLabel(page.day).replace(/^./, (ch) => (page.lang === "da" ? ch.toLowerCase() : ch)),
    start: timeOf(page.slot.start),
    end: timeOf(page.slot.end),
  });
  $("submit").textContent = t(page.lang, page.busy ? "booking" : "book");
  $("submit").disabled = page.busy;
}

function renderSteps() {
  const step = page.slot ? "confirm" : page.day ? "time" : page.service ? "day" : "service";
  body.dataset.step = step;
  show($("step-day"), page.service !== null);
  show($("step-time"), page.day !== null);
  show($("step-confirm"), page.slot !== null);
  $("error").textContent = page.error ? t(page.lang, page.error) : "";
  $("error").dataset.code = page.error || "";
  show($("error"), page.error !== null);
}

function render() {
  applyLanguage(t, page.lang);
  const none = !services.length;
  show($("none"), none);
  show($("intro"), !none);
  show($("book"), !none);
  renderServices();
  renderDays();
  renderTimes();
  renderSummary();
  renderSteps();
}

// The next fortnight of days (or what is left of the horizon); until some
// day has a free time, keep going.
async function loadDays() {
  if (page.loading || page.nextFrom === null) return;
  const generation = page.generation;
  page.loading = true;
  page.loadFailed = false;
  renderDays();
  while (page.nextFrom <= lastDay()) {
    const from = page.nextFrom;
    const days = Math.min(BATCH_DAYS, daysBetween(from, lastDay()) + 1);
    const query = new URLSearchParams({ service: page.service, from, days: String(days) });
    let answer = null;
    try {
      answer = await request(`${api}/appointments/slots?${query}`, { timeoutMs: 10000 });
    } catch {
      answer = null;
    }
    if (generation !== page.generation) return; // another service was chosen meanwhile
    if (!answer || answer.status !== 200) {
      page.loadFailed = true;
      break;
    }
    page.days = page.days.concat(answer.body.days);
    page.nextFrom = addDays(from, days);
    if (shownDays().some((d) => d.free > 0)) break;
  }
  page.loading = false;
  renderDays();
}

function chooseService(id) {
  page.generation++;
  page.service = id;
  page.days = [];
  page.nextFrom = today();
  page.day = null;
  page.slot = null;
  page.loading = false;
  page.error = null;
  renderDays();
  renderTimes();
  renderSteps();
  return loadDays();
}

function chooseDay(date) {
  page.day = date;
  page.slot = null;
  page.error = null;
  renderTimes();
  renderSteps();
  bringIntoView($("step-time"));
}

function chooseTime(start) {
  const day = page.days.find((d) => d.date === page.day);
  page.slot = day ? day.slots.find((s) => s.start === start) || null : null;
  page.error = null;
  renderSummary();
  renderSteps();
  bringIntoView($("step-confirm"));
}

// After a tap, the next step may be a screen further down: show its start.
// Not after a key: arrow keys walk through a group, and the page must stay put.
let lastInput = "pointer";
document.addEventListener("pointerdown", () => { lastInput = "pointer"; }, true);
document.addEventListener("keydown", () => { lastInput = "keyboard"; }, true);
function bringIntoView(element) {
  if (lastInput !== "pointer") return;
  const box = element.getBoundingClientRect();
  if (box.top < 0 || box.top > window.innerHeight * 0.6) element.scrollIntoView({ block: "start" });
}

async function book(event) {
  event.preventDefault();
  if (page.busy || !page.slot) return;
  page.busy = true;
  page.error = null;
  renderSummary();
  renderSteps();
  const answer = await postRetrying(`${api}/appointments`, { service: page.service, start: page.slot.start });
  page.busy = false;
  if (answer && answer.status === 201) {
    body.dataset.step = "booked";
    location.assign(`/a/${encodeURIComponent(branch)}/${encodeURIComponent(answer.body.appointment_id)}`);
    return;
  }
  const code = answer && answer.body ? answer.body.code : null;
  page.error = !answer ? "e_offline" : REFUSALS[code] || (answer.status === 429 ? "e_limit" : "e_error");
  renderSummary();
  renderSteps();
  if (["e_taken", "e_past", "e_gone"].includes(page.error)) {
    // The times have changed: fetch them again, keep the day if it still has some.
    const { day, error } = page;
    const reloaded = chooseService(page.service);
    page.error = error;
    renderSteps();
    await reloaded;
    if (shownDays().some((d) => d.date === day && d.free > 0)) chooseDay(day);
    page.error = error;
    renderDays();
    renderSteps();
  }
}

$("book").addEventListener("change", (event) => {
  const input = event.target;
  if (input.name === "service") chooseService(input.value);
  else if (input.name === "day") chooseDay(input.value);
  else if (input.name === "time") chooseTime(input.value);
});
$("book").addEventListener("submit", book);
$("more-days").addEventListener("click", () => loadDays());
page.lang = await phoneLanguage($("lang"), (lang) => {
  page.lang = lang;
  render();
});
render();
// One bookable service: nothing to choose, go straight to its days.
if (services.length === 1) {
  chooseService(services[0].id);
  renderServices();
}
