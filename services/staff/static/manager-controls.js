// The manager steers the hall: open and close any desk, choose the services it takes
// (from its skills), pause a service at the kiosk (optionally until a time) and resume it,
// and take a hint with one click. Every change goes through the staff API; what the page
// shows comes back on the live socket, like every console, kiosk and phone sees it.
import { api, branch, el, newKey, pauseNote, serviceName, t, useTexts } from "./common.js";

useTexts({
  da: {
    "controls.title": "Styring",
    "controls.desks": "Skranker",
    "controls.services": "Ydelser ved standeren",
    "controls.open": "Åbn",
    "controls.close": "Luk",
    "controls.save": "Gem ydelser",
    "controls.pause": "Sæt på pause",
    "controls.resume": "Genoptag",
    "controls.until": "til kl. (valgfrit)",
    "controls.taking": "tager",
    "controls.open_by": "åben · {staff}",
    "controls.closed": "lukket",
    "controls.running": "åben for numre",
    "controls.take_hint": "Gør det",
    "controls.done.open": "{desk} er åben: {services}",
    "controls.done.close": "{desk} er lukket.",
    "controls.done.pause": "{service} er sat på pause.",
    "controls.done.pause_until": "{service} er sat på pause til kl. {time}.",
    "controls.done.resume": "{service} tager numre igen.",
    "err.not_paused": "Ydelsen er ikke på pause.",
    "err.in_the_past": "Tidspunktet er allerede passeret.",
  },
  en: {
    "controls.title": "Steering",
    "controls.desks": "Desks",
    "controls.services": "Services at the kiosk",
    "controls.open": "Open",
    "controls.close": "Close",
    "controls.save": "Save services",
    "controls.pause": "Pause",
    "controls.resume": "Resume",
    "controls.until": "until (optional)",
    "controls.taking": "takes",
    "controls.open_by": "open · {staff}",
    "controls.closed": "closed",
    "controls.running": "issuing tickets",
    "controls.take_hint": "Do it",
    "controls.done.open": "{desk} is open: {services}",
    "controls.done.close": "{desk} is closed.",
    "controls.done.pause": "{service} is paused.",
    "controls.done.pause_until": "{service} is paused until {time}.",
    "controls.done.resume": "{service} takes tickets again.",
    "err.not_paused": "The service is not paused.",
    "err.in_the_past": "That time has passed already.",
  },
});

const $ = (id) => document.getElementById(id);
const base = `/api/v1/branches/${encodeURIComponent(branch)}`;

let overview = null;
// Desk id -> the services ticked but not saved yet: kept across live frames.
const drafts = new Map();
// While one command is out the buttons are greyed, as the desk console's are: a click
// then would be lost, and the live frame can show a change before its answer is in.
let busy = false;

function services() {
  return overview ? overview.areas.flatMap((a) => a.services) : [];
}

function nameOf(id) {
  return serviceName(services().find((s) => s.service === id) ?? { service: id });
}

function say(text, error = false) {
  const box = $("controls-message");
  box.textContent = text;
  box.className = error ? "message error" : "message";
}

// `done(answer)` runs before the buttons come back, so they come back as it leaves them.
async function post(path, body, done) {
  if (busy) return;
  busy = true;
  render(overview);
  let answer = null;
  try {
    answer = await api("POST", path, body, { "Idempotency-Key": newKey() });
  } catch (error) {
    say(error.text, true);
  }
  if (answer) done(answer);
  busy = false;
  render(overview);
}

function openDesk(desk, chosen) {
  const draft = drafts.get(desk.counter);
  return post(`${base}/counters/${encodeURIComponent(desk.counter)}/open`, { services: chosen }, (result) => {
    // Boxes ticked while the answer was out are a new draft: kept.
    if (drafts.get(desk.counter) === draft) drafts.delete(desk.counter);
    say(t("controls.done.open", { desk: desk.name, services: result.services.map(nameOf).join(", ") }));
  });
}

function closeDesk(desk) {
  return post(`${base}/counters/${encodeURIComponent(desk.counter)}/close`, {}, () => {
    drafts.delete(desk.counter);
    say(t("controls.done.close", { desk: desk.name }));
  });
}

function pause(service, until) {
  const body = until ? { until } : {};
  return post(`${base}/services/${encodeURIComponent(service.service)}/pause`, body, (result) => {
    const name = serviceName(service);
    say(result.paused_until
      ? t("controls.done.pause_until", { service: name, time: result.paused_until })
      : t("controls.done.pause", { service: name }));
  });
}

function resume(service) {
  return post(`${base}/services/${encodeURIComponent(service.service)}/resume`, {}, () =>
    say(t("controls.done.resume", { service: serviceName(service) })));
}

function ticked(desk) {
  return drafts.get(desk.counter) ?? (desk.open ? desk.services : desk.skills);
}

function deskRow(desk) {
  const chosen = ticked(desk);
  const boxes = desk.skills.map((id) => el("label", {},
    el("input", {
      type: "checkbox", value: id, checked: chosen.includes(id),
      onchange: (event) => {
        const now = new Set(ticked(desk));
        if (event.target.checked) now.add(id); else now.delete(id);
        // The desk's skills order, as the engine keeps the list it is given.
        drafts.set(desk.counter, desk.skills.filter((s) => now.has(s)));
        render(overview);
      },
    }),
    ` ${nameOf(id)}`));
  const changed = desk.open && chosen.join() !== desk.services.join();
  const buttons = desk.open
    ? [
      el("button", { type: "button", class: "save", hidden: !changed, disabled: busy, onclick: () => openDesk(desk, ticked(desk)) }, t("controls.save")),
      el("button", { type: "button", class: "close", disabled: busy, onclick: () => closeDesk(desk) }, t("controls.close")),
    ]
    : [el("button", { type: "button", class: "open", disabled: busy, onclick: () => openDesk(desk, ticked(desk)) }, t("controls.open"))];
  return el("tr", { dataset: { counter: desk.counter, open: desk.open ? "true" : "false" } },
    el("th", { scope: "row" }, desk.name),
    el("td", { class: "state" }, desk.open ? t("controls.open_by", { staff: desk.staff }) : t("controls.closed")),
    el("td", { class: "skills" }, ...boxes),
    el("td", { class: "buttons" }, ...buttons));
}

function serviceRow(service) {
  const until = el("input", { type: "time", class: "until", "aria-label": t("controls.until") });
  const action = service.paused
    ? el("button", { type: "button", class: "resume", disabled: busy, onclick: () => resume(service) }, t("controls.resume"))
    : el("button", { type: "button", class: "pause", disabled: busy, onclick: () => pause(service, until.value) }, t("controls.pause"));
  return el("tr", { dataset: { service: service.service, paused: service.paused ? "true" : "false" } },
    el("th", { scope: "row" }, serviceName(service)),
    el("td", { class: "state" }, service.paused ? pauseNote(service) : t("controls.running")),
    el("td", {}, service.paused ? "" : el("label", {}, `${t("controls.until")} `, until)),
    el("td", { class: "buttons" }, action));
}

// A hint that names a desk gets a button that opens it for the hint's services.
function decorateHints() {
  for (const area of overview.areas) {
    const hint = area.hint;
    const item = document.querySelector(`#hints li[data-area="${CSS.escape(area.area)}"]`);
    if (!hint || !hint.counter || !item) continue;
    const taking = item.querySelector("button.take-hint");
    if (taking) {
      taking.disabled = busy;
      continue;
    }
    const desk = overview.counters.find((c) => c.counter === hint.counter);
    if (!desk) continue;
    item.append(" ", el("button", { type: "button", class: "take-hint", disabled: busy, onclick: () => openDesk(desk, hint.services) }, t("controls.take_hint")));
  }
}

// Called by the manager page on every live frame and language change.
export function render(frame) {
  overview = frame;
  if (!overview || !$("controls")) return;
  // A focused time field keeps what is being typed: redraw the desks only.
  const typing = document.activeElement?.classList.contains("until");
  $("control-desks").replaceChildren(...overview.counters.filter((d) => d.skills.length).map(deskRow));
  if (!typing) $("control-services").replaceChildren(...services().map(serviceRow));
  else for (const button of $("control-services").querySelectorAll("button")) button.disabled = busy;
  decorateHints();
}
