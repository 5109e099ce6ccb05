// The desk console's appointments: a day's bookings, who is due now, and booking or
// cancelling on a citizen's behalf. Statuses, `due` and the free seats come from the staff
// API and the live overview (the shared projection's presenters); this file only formats.
import { api, branch, el, newestOnly, newKey, serviceName, state, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const BASE = `/api/v1/branches/${encodeURIComponent(branch)}/appointments`;

let overview = null;
let chosenDay = null; // the day the panel lists; null: today
let rows = [];
let listedFor = ""; // what the list on screen was fetched for
let loading = false;
let stale = false; // something changed while a list was on its way
let confirming = null; // the booking whose cancel waits for a second click
let say = () => {};
// The form loads the first service's times, and again for each service or day chosen:
// only the newest choice's times are shown, however the answers come back.
const slotLoads = newestOnly();

// "2026-12-03T10:30:00+01:00" -> "10:30": the server writes times in the branch's zone.
export function hhmm(iso) {
  return iso ? iso.slice(11, 16) : "";
}

function dayText(date) {
  const when = new Date(`${date}T12:00:00Z`);
  const locale = state.lang === "da" ? "da-DK" : "en-GB";
  return when.toLocaleDateString(locale, { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
}

function today() {
  return overview?.appointments?.day ?? overview?.day;
}

function shownDay() {
  return chosenDay ?? today();
}

function services() {
  return overview ? overview.areas.flatMap((area) => area.services) : [];
}

function service(id) {
  return services().find((s) => s.service === id) ?? { service: id, name: null };
}

// --- the live part: called with every overview frame ---------------------------------

export function bookingsFrame(next) {
  overview = next;
  const takes = Boolean(overview.appointments);
  $("appointments").hidden = !takes;
  document.querySelector("#actions button[data-action=book]").hidden = !takes;
  if (!takes) return;
  // Today's list changes with today's summary (a booking, a cancel, a check-in, a miss);
  // another day's with any new event.
  const day = shownDay();
  const key = day === today() ? `${day}|${JSON.stringify(overview.appointments)}` : `${day}|${overview.seq}`;
  if (key !== listedFor) {
    listedFor = key;
    load();
  }
  renderDue();
}

async function load() {
  if (loading) {
    stale = true;
    return;
  }
  loading = true;
  try {
    const day = shownDay();
    const answer = await api("GET", `${BASE}?date=${encodeURIComponent(day)}`);
    if (answer.date === shownDay()) rows = answer.bookings;
    renderRows();
  } catch (error) {
    say(error.text ?? String(error), "error");
  } finally {
    loading = false;
    if (stale) {
      stale = false;
      load();
    }
  }
}

function renderDue() {
  const due = overview.appointments.due;
  $("due-now").textContent = due.length
    ? t("appt.due", { list: due.map((b) => `${hhmm(b.start)} ${serviceName(service(b.service))} (${b.code})`).join(", ") })
    : t("appt.none-due");
  $("due-now").classList.toggle("has-due", due.length > 0);
}

function renderRows() {
  $("appointments-date").value = shownDay();
  if (!rows.length) {
    $("booking-rows").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("appt.empty"))));
    return;
  }
  $("booking-rows").replaceChildren(...rows.map((b) => {
    const status = t(`appt.${b.status}`) + (b.number ? ` · ${b.number}` : "");
    const cancelButton = b.status === "booked"
      ? el("button", { type: "button", class: "cancel-booking", onclick: () => cancelBooking(b) },
        t(confirming === b.appointment_id ? "appt.cancel-confirm" : "appt.cancel"))
      : null;
    return el("tr", { class: `booking ${b.status}${b.due ? " due" : ""}`, dataset: { code: b.code, status: b.status } },
      el("td", { class: "time-cell" }, `${hhmm(b.start)}–${hhmm(b.end)}`),
      el("td", {}, serviceName(service(b.service))),
      el("td", { class: "code-cell" }, b.code),
      el("td", {}, status, b.due ? el("span", { class: "badge due" }, t("appt.due-badge")) : null),
      el("td", {}, cancelButton));
  }));
}

async function cancelBooking(booking) {
  if (confirming !== booking.appointment_id) {
    confirming = booking.appointment_id;
    return renderRows();
  }
  confirming = null;
  try {
    await api("DELETE", `${BASE}/${encodeURIComponent(booking.appointment_id)}`);
    say(t("appt.cancel-done", { time: hhmm(booking.start), code: booking.code }), "ok");
  } catch (error) {
    say(error.text ?? String(error), "error");
  }
  listedFor = "";
  load();
}

// --- booking on a citizen's behalf ---------------------------------------------------

export function openBookForm() {
  const bookable = services().filter((s) => s.slot_min);
  $("book-service").replaceChildren(...bookable.map((s) => el("option", { value: s.service }, serviceName(s))));
  $("book-date").min = today();
  $("book-date").value = shownDay() < today() ? today() : shownDay();
  $("book-result").hidden = true;
  $("book-form").hidden = false;
  $("book-service").focus();
  loadSlots();
}

async function loadSlots() {
  const select = $("book-slot");
  const query = new URLSearchParams({ service: $("book-service").value, from: $("book-date").value, days: "1" });
  select.replaceChildren(el("option", { value: "", disabled: true }, t("book.loading")));
  const current = slotLoads.take();
  try {
    const answer = await api("GET", `${BASE}/slots?${query}`);
    if (!current()) return;
    const free = answer.days.flatMap((d) => d.slots).filter((s) => s.free > 0);
    select.replaceChildren(...(free.length
      ? free.map((s) => el("option", { value: s.start }, `${hhmm(s.start)}–${hhmm(s.end)} (${t("book.free", { free: s.free })})`))
      : [el("option", { value: "", disabled: true, selected: true }, t("book.no-slots"))]));
  } catch (error) {
    if (!current()) return;
    select.replaceChildren();
    say(error.text ?? String(error), "error");
  }
}

async function book(event) {
  event.preventDefault();
  const body = { service: $("book-service").value, start: $("book-slot").value };
  const submit = $("book-form").querySelector("button[type=submit]");
  if (!body.start || submit.disabled) return;
  submit.disabled = true; // one booking per click, however fast the second one comes
  try {
    const booked = await api("POST", BASE, body, { "Idempotency-Key": newKey() });
    $("book-form").hidden = true;
    $("book-code").textContent = booked.code;
    $("book-when").textContent = t("book.when", {
      day: dayText(booked.start.slice(0, 10)), time: hhmm(booked.start), service: serviceName(service(booked.service)),
    });
    $("book-result").hidden = false;
    say(t("book.done", { code: booked.code, time: hhmm(booked.start) }), "ok");
    listedFor = "";
    load();
  } catch (error) {
    say(error.text ?? String(error), "error");
    if (error.code === "slot_full") loadSlots();
  } finally {
    submit.disabled = false;
  }
}

export function setupBookings({ message }) {
  say = message;
  $("book-form").addEventListener("submit", book);
  $("book-service").addEventListener("change", loadSlots);
  $("book-date").addEventListener("change", loadSlots);
  $("appointments-date").addEventListener("change", () => {
    chosenDay = $("appointments-date").value || null;
    confirming = null;
    if (overview) bookingsFrame(overview);
  });
}

export function redrawBookings() {
  if (!overview?.appointments) return;
  renderDue();
  renderRows();
}

export function forgetBookings() {
  overview = null;
  rows = [];
  listedFor = "";
  chosenDay = null;
  $("book-result").hidden = true;
}
