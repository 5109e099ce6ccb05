// The booking's page (/a/{branch}/{appointment_id}): the code to check in
// with, the time, a QR code of this page (the kiosk's scanner reads it), the
// calendar file, and cancelling.
//
// From GET /api/v1/branches/{branch}/appointments/{id}: {"code", "service",
// "start", "end", "checkin_from", "checkin_until", "status", and once checked
// in "ticket_id", "number"}; status is booked, checked_in, cancelled or
// missed. While booked it asks again every 30 s (and when the phone comes
// back to the page), so a check-in at the kiosk shows here with its number.

import {
  applyLanguage, backoffMs, clockText, dateText, localParts, rememberedLang, rememberLang, request, show,
  translator,
} from "./common.js";

const WORDS = {
  da: {
    lang: "English",
    actions: "Handlinger",
    your_booking: "Din tid",
    your_code: "Din kode",
    qr_caption: "Vis QR-koden ved standeren i hallen, eller skriv koden",
    qr_alt: "QR-kode til denne side",
    when_time: "kl. {start}–{end}",
    loading: "Henter din tid …",
    offline: "Ingen forbindelse – prøver igen …",
    booked: "Tiden er bestilt",
    booked_sub: "Tjek ind ved standeren i hallen mellem kl. {from} og {until} med koden eller QR-koden.",
    checked_in: "Du er tjekket ind – dit nummer er {number}",
    checked_in_sub: "Vent i hallen. Du bliver kaldt på skærmen.",
    cancelled: "Tiden er aflyst",
    cancelled_sub: "Tiden er givet fri, så andre kan bestille den.",
    missed: "Tiden er overskredet",
    missed_sub: "Du tjekkede ikke ind. Bestil en ny tid, eller træk et nummer i hallen.",
    unknown: "Tiden findes ikke",
    unknown_sub: "Tjek adressen, eller bestil en ny tid.",
    follow_ticket: "Følg dit nummer",
    add_calendar: "Tilføj til kalender",
    book_again: "Bestil en ny tid",
    cancel: "Aflys tiden",
    confirm: "Vil du aflyse tiden? En anden kan så bestille den.",
    confirm_yes: "Ja, aflys tiden",
    confirm_no: "Nej, behold tiden",
    cancel_failed: "Det lykkedes ikke. Prøv igen.",
    cancel_checked_in: "Du er allerede tjekket ind. Forlad køen fra dit nummer i stedet.",
    cancel_too_late: "Tiden er overskredet og kan ikke aflyses.",
  },
  en: {
    lang: "Dansk",
    actions: "Actions",
    your_booking: "Your appointment",
    your_code: "Your code",
    qr_caption: "Show the QR code at the kiosk in the hall, or type the code",
    qr_alt: "QR code of this page",
    when_time: "at {start}–{end}",
    loading: "Loading your appointment …",
    offline: "No connection – retrying …",
    booked: "Your time is booked",
    booked_sub: "Check in at the kiosk in the hall between {from} and {until} with the code or the QR code.",
    checked_in: "You are checked in – your number is {number}",
    checked_in_sub: "Wait in the hall. You will be called on the screen.",
    cancelled: "The appointment is cancelled",
    cancelled_sub: "The time is free again for others to book.",
    missed: "The appointment time has passed",
    missed_sub: "You did not check in. Book a new time, or take a number in the hall.",
    unknown: "This appointment does not exist",
    unknown_sub: "Check the address, or book a new time.",
    follow_ticket: "Follow your number",
    add_calendar: "Add to calendar",
    book_again: "Book a new time",
    cancel: "Cancel the appointment",
    confirm: "Cancel the appointment? Someone else can then book it.",
    confirm_yes: "Yes, cancel it",
    confirm_no: "No, keep it",
    cancel_failed: "That did not work. Please try again.",
    cancel_checked_in: "You are already checked in. Leave the queue from your number instead.",
    cancel_too_late: "The appointment time has passed; it cannot be cancelled.",
  },
};
const t = translator(WORDS);
const REFRESH_MS = 30000;

const body = document.body;
const branch = body.dataset.branch;
const appointmentId = body.dataset.appointment;
const zone = body.dataset.timezone;
const services = JSON.parse(body.dataset.services || "[]");
const base = `/api/v1/branches/${encodeURIComponent(branch)}/appointments/${encodeURIComponent(appointmentId)}`;
const pageBase = `/a/${encodeURIComponent(branch)}/${encodeURIComponent(appointmentId)}`;
const $ = (id) => document.getElementById(id);

const page = {
  lang: rememberedLang(),
  booking: null,
  unknown: !appointmentId, // the server found the address malformed
  offline: false,
  timer: null,
  cancelError: null,
};

function serviceName(id) {
  const service = services.find((s) => s.id === id);
  return service ? service.name[page.lang] || service.name.da : id;
}

// "Fredag 16. maj kl. 10:00–10:15", the time never broken over two lines.
function renderWhen(booking) {
  const element = $("when");
  if (!booking) {
    element.replaceChildren();
    return;
  }
  const thisYear = localParts(new Date(), zone).date.slice(0, 4);
  const day = dateText(page.lang, localParts(booking.start, zone).date, thisYear);
  const time = document.createElement("span");
  time.className = "nowrap";
  time.textContent = t(page.lang, "when_time", {
    start: clockText(booking.start, zone),
    end: clockText(booking.end, zone),
  });
  element.replaceChildren(`${day.charAt(0).toUpperCase()}${day.slice(1)} `, time);
}

function render() {
  const lang = page.lang;
  applyLanguage(t, lang, $("lang"));
  const booking = page.booking;
  const status = page.unknown ? "unknown" : booking ? booking.status : "loading";
  body.dataset.status = status;
  let main = "";
  let sub = "";
  if (status === "loading") {
    main = t(lang, page.offline ? "offline" : "loading");
  } else if (status === "unknown") {
    main = t(lang, "unknown");
    sub = t(lang, "unknown_sub");
  } else {
    main = t(lang, status, { number: booking.number || "" });
    sub = t(lang, `${status}_sub`, {
      from: clockText(booking.checkin_from, zone),
      until: clockText(booking.checkin_until, zone),
    });
  }
  $("state-main").textContent = main;
  $("state-sub").textContent = sub;

  const known = Boolean(booking) && !page.unknown;
  const open = known && (status === "booked" || status === "checked_in");
  $("service").textContent = known ? serviceName(booking.service) : "";
  renderWhen(known ? booking : null);
  $("code").textContent = known ? booking.code : "";
  show($("code-box"), known);
  show($("qr-box"), open);
  $("qr").alt = t(lang, "qr_alt");
  show($("calendar"), status === "booked");
  show($("leave"), status === "booked");
  show($("book-again"), status === "cancelled" || status === "missed" || status === "unknown");
  const ticketLink = $("ticket-link");
  if (status === "checked_in" && booking.ticket_id) {
    ticketLink.href = `/t/${encodeURIComponent(branch)}/${encodeURIComponent(booking.ticket_id)}`;
  }
  show(ticketLink, status === "checked_in" && Boolean(booking.ticket_id));
  $("cancel-error").textContent = page.cancelError ? t(lang, page.cancelError) : "";
  show($("cancel-error"), page.cancelError !== null);
  document.title = known ? `${booking.code} · ${main}` : main;
}

// The booking from the API: 200 shows it, 404 says it does not exist; a
// failure keeps what is shown. Returns the status (0: no answer).
async function refresh() {
  if (page.unknown) return 404;
  let answer = null;
  try {
    answer = await request(base, { timeoutMs: 8000 });
  } catch {
    answer = null;
  }
  const status = answer ? answer.status : 0;
  if (status === 200) {
    page.booking = answer.body;
    page.offline = false;
  } else if (status === 404) {
    page.unknown = true;
  } else {
    page.offline = true;
  }
  render();
  return status;
}

function schedule(ms) {
  clearTimeout(page.timer);
  const booked = page.booking && page.booking.status === "booked";
  if (page.unknown || (page.booking && !booked)) return; // nothing more will change here
  page.timer = setTimeout(tick, ms);
}

let failures = 0;
async function tick() {
  const status = await refresh();
  failures = status === 200 || status === 404 ? 0 : failures + 1;
  schedule(failures ? backoffMs(failures - 1) : REFRESH_MS);
}

async function cancel() {
  page.cancelError = null;
  let answer = null;
  try {
    answer = await request(base, { method: "DELETE", timeoutMs: 10000 });
  } catch {
    answer = null;
  }
  const code = answer && answer.body ? answer.body.code : null;
  if (answer && (answer.status === 200 || code === "appointment_cancelled")) {
    show($("confirm"), false);
    show($("cancel"), true);
    if (answer.body && answer.body.status && page.booking) page.booking = { ...page.booking, ...answer.body };
    await refresh();
    return;
  }
  if (code === "appointment_checked_in") page.cancelError = "cancel_checked_in";
  else if (code === "too_late") page.cancelError = "cancel_too_late";
  else page.cancelError = "cancel_failed";
  await refresh();
}

$("lang").addEventListener("click", () => {
  page.lang = page.lang === "da" ? "en" : "da";
  rememberLang(page.lang);
  render();
});
$("cancel").addEventListener("click", () => {
  page.cancelError = null;
  render();
  show($("cancel"), false);
  show($("confirm"), true);
  $("confirm-no").focus();
});
$("confirm-no").addEventListener("click", () => {
  show($("confirm"), false);
  show($("cancel"), true);
  $("cancel").focus();
});
$("confirm-yes").addEventListener("click", cancel);
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") tick();
});

if (!page.unknown) {
  $("qr").src = `${pageBase}/qr.svg`;
  $("calendar").href = `${base}/calendar.ics`;
}
render();
tick();
