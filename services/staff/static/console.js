// The desk console: sign in, pick a desk, act on it with buttons or single keys.
// Live figures come over the staff WebSocket; actions go to the staff API.
import {
  api, applyTexts, branch, connectLive, el, minutes, pauseNote, secondsSince, serviceName, setupLanguage,
  setupSignIn, state, t, token, useTexts,
} from "./common.js";
import {
  bookingsFrame, forgetBookings, hhmm, openBookForm, redrawBookings, setupBookings,
} from "./console-bookings.js";
import { CONSOLE_TEXTS } from "./console-texts.js";

useTexts(CONSOLE_TEXTS);

const $ = (id) => document.getElementById(id);
const DESK_KEY = `qms.staff.desk.${branch}`;
const HELD = new Set(["recall", "start", "finish", "no-show", "transfer"]);
const NEXT_SHOWN = 10; // the desk's waiting list: who it calls next

let overview = null;
let you = null;
let live = null;
let busy = false;
let chosen = null; // services ticked for opening; null = the desk's own
let boxesFor = "";
let lastMessage = null;

function show(section) {
  for (const id of ["sign-in", "picker", "desk"]) $(id).hidden = id !== section;
  $("sign-out").hidden = section === "sign-in";
}

function services() {
  return overview ? overview.areas.flatMap((area) => area.services) : [];
}

function serviceById(id) {
  return services().find((s) => s.service === id) ?? { service: id, name: null };
}

function currentDesk() {
  const id = sessionStorage.getItem(DESK_KEY);
  return overview?.counters.find((c) => c.counter === id) ?? null;
}

// --- rendering ---------------------------------------------------------------

function render() {
  if (!overview) return;
  $("branch-name").textContent = overview.name;
  $("who").textContent = you ? t("you", { staff: you.staff_id }) : "";
  const desk = currentDesk();
  if (!desk) return renderPicker();
  show("desk");
  renderDesk(desk);
}

function renderPicker() {
  show("picker");
  const select = $("desk-select");
  const before = select.value;
  select.replaceChildren(
    ...overview.counters.map((c) =>
      el("option", { value: c.counter }, `${c.name}${c.open ? ` (${t("desk.open").toLowerCase()}: ${c.staff})` : ""}`)),
  );
  if (before) select.value = before;
}

function renderDesk(desk) {
  $("desk-name").textContent = desk.name;
  const pill = $("desk-state");
  pill.textContent = desk.open ? `${t("desk.open")} · ${desk.staff}` : t("desk.closed");
  pill.className = `pill ${desk.open ? "open" : "closed"}`;
  $("toggle-label").textContent = t(desk.open ? "act.close" : "act.open");
  renderTicket(desk);
  renderButtons(desk);
  renderBoxes(desk);
  renderQueue(desk);
  renderWaitingList(desk);
}

function renderTicket(desk) {
  const ticket = desk.ticket;
  $("current-number").textContent = ticket ? ticket.number : "–";
  if (!ticket) {
    $("current-info").textContent = desk.open ? t("ticket.none") : "";
    return;
  }
  let info = t("ticket.info", {
    service: serviceName(serviceById(ticket.service)),
    status: t(`status.${ticket.status}`),
    waited: minutes(ticket.waited_s),
    since: minutes(secondsSince(ticket.called_at)),
  });
  if (ticket.recalls) info += t(ticket.recalls === 1 ? "ticket.recalls.one" : "ticket.recalls.other", { recalls: ticket.recalls });
  if (ticket.priority) info += t("ticket.priority");
  $("current-info").textContent = info;
}

function renderButtons(desk) {
  const ticket = desk.ticket;
  // The engine's own figure: recalls still needed before a no-show is allowed.
  const recallsFirst = ticket?.status === "called" ? ticket.recalls_before_no_show : 0;
  const why = $("no-show-why");
  why.textContent = recallsFirst
    ? t(recallsFirst === 1 ? "act.no-show-after.one" : "act.no-show-after.other", { recalls: recallsFirst })
    : "";
  why.hidden = !recallsFirst;
  const enabled = {
    toggle: true,
    issue: true,
    book: Boolean(overview.appointments),
    "call-next": desk.open,
    recall: desk.open && ticket?.status === "called",
    start: desk.open && ticket?.status === "called",
    finish: desk.open && Boolean(ticket),
    "no-show": desk.open && ticket?.status === "called" && recallsFirst === 0,
    transfer: desk.open && Boolean(ticket),
  };
  for (const button of $("actions").querySelectorAll("button")) {
    button.disabled = busy || !enabled[button.dataset.action];
  }
}

function deskServices(desk) {
  return chosen ?? (desk.open ? desk.services : desk.skills);
}

function renderBoxes(desk) {
  const ticked = deskServices(desk);
  const key = `${desk.counter}|${desk.open}|${desk.services.join()}|${ticked.join()}|${state.lang}`;
  if (key !== boxesFor) {
    boxesFor = key;
    // A box ticked by keyboard redraws the boxes: the focus stays on that service's box.
    const focused = document.activeElement?.closest("#service-boxes input")?.value;
    $("service-boxes").replaceChildren(
      ...desk.skills.map((id) =>
        el("label", {},
          el("input", {
            type: "checkbox", value: id, checked: ticked.includes(id),
            onchange: () => { chosen = checkedServices(); render(); },
          }),
          ` ${serviceName(serviceById(id))}`)),
    );
    if (focused) [...$("service-boxes").querySelectorAll("input")].find((box) => box.value === focused)?.focus();
  }
  const differs = desk.open && ticked.join() !== desk.services.join();
  $("save-services").hidden = !differs;
}

function checkedServices() {
  return [...$("service-boxes").querySelectorAll("input:checked")].map((box) => box.value);
}

function renderQueue(desk) {
  const now = Date.now();
  $("queue-rows").replaceChildren(
    ...desk.skills.map((id) => {
      const s = serviceById(id);
      const longest = s.longest_since ? secondsSince(s.longest_since, now) : 0;
      const over = s.waiting && longest > s.target_wait_s;
      return el("tr", { class: deskServices(desk).includes(id) ? "" : "muted" },
        el("td", { dataset: { paused: s.paused ? "true" : "false" } },
          serviceName(s), s.paused ? el("span", { class: "muted" }, ` · ${pauseNote(s)}`) : null),
        el("td", { class: "num" }, String(s.waiting ?? 0)),
        el("td", { class: over ? "num late" : "num" }, s.waiting ? minutes(longest) : t("none")),
        el("td", { class: "num" }, minutes(s.estimated_wait_s)));
    }),
  );
}

// The desk's services in call order (the overview's `queue` is the branch's, in call
// order): a check-in's ticket shows its time, and "due" once the time has come.
function renderWaitingList(desk) {
  const mine = new Set(deskServices(desk));
  const next = (overview.queue ?? []).filter((q) => mine.has(q.service)).slice(0, NEXT_SHOWN);
  if (!next.length) {
    $("waiting-rows").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "muted" }, t("next.none"))));
    return;
  }
  const now = Date.now();
  $("waiting-rows").replaceChildren(...next.map((q) => {
    const kind = [];
    if (q.appointment_at) {
      kind.push(el("span", { class: "badge appointment" }, t("next.appointment", { time: hhmm(q.appointment_at) })));
      if (q.due) kind.push(el("span", { class: "badge due" }, t("next.due")));
    } else if (q.priority) {
      kind.push(el("span", { class: "badge" }, t("next.priority")));
    }
    return el("tr", {
      class: `${q.appointment_at ? "appointment" : ""}${q.due ? " due" : ""}`,
      dataset: { number: q.number, channel: q.channel, due: String(q.due) },
    },
    el("td", { class: "number-cell" }, q.number),
    el("td", {}, serviceName(serviceById(q.service))),
    el("td", {}, kind.length ? kind : t("next.walk-in")),
    el("td", { class: "num" }, minutes(secondsSince(q.queued_at, now))));
  }));
}

function message(text, kind) {
  lastMessage = { text, kind };
  const box = $("message");
  box.textContent = text;
  box.className = `message ${kind}`;
}

// --- actions -------------------------------------------------------------------

async function act(action) {
  const desk = currentDesk();
  if (!desk || busy) return;
  if (action === "transfer") return openForm("transfer-form", desk);
  if (action === "issue") return openForm("issue-form", desk);
  if (action === "book") {
    closeForms();
    return openBookForm();
  }
  if (action === "toggle") {
    return desk.open ? send("close", {}) : send("open", { services: deskServices(desk) });
  }
  const body = HELD.has(action) && desk.ticket ? { number: desk.ticket.number } : {};
  return send(action, body);
}

async function send(action, body, path = null) {
  const desk = currentDesk();
  busy = true;
  renderButtons(desk);
  try {
    const url = path ?? `/api/v1/branches/${encodeURIComponent(branch)}/counters/${encodeURIComponent(desk.counter)}/${action}`;
    const result = await api("POST", url, body);
    message(done(action, result), "ok");
    if (action === "open" || action === "close") chosen = null;
  } catch (error) {
    message(error.text ?? String(error), "error");
    if (error.status === 401) signOut("bad");
  } finally {
    busy = false;
    render();
  }
}

function done(action, r) {
  const service = serviceName(serviceById(r.service));
  switch (action) {
    case "open": return t("done.open", { services: r.services.map((id) => serviceName(serviceById(id))).join(", ") });
    case "close": return t("done.close");
    case "call-next": case "call": return t("done.call", { number: r.number, service });
    case "recall": return t("done.recall", { number: r.number, recalls: r.recalls });
    case "issue": return t("done.issue", { number: r.number, service, wait: minutes(r.estimated_wait_s) });
    default: return t(`done.${action}`, { number: r.number, service });
  }
}

function openForm(id, desk) {
  for (const form of document.querySelectorAll("form.sub")) form.hidden = form.id !== id;
  const select = $(id === "transfer-form" ? "transfer-service" : "issue-service");
  const current = desk.ticket?.service;
  // Grouped by area, as the hall is: KVIK's services, then SERVICE's; a paused one says so.
  const groups = overview.areas.map((area) => {
    const options = area.services.filter((s) => s.service !== current)
      .map((s) => el("option", { value: s.service }, s.paused ? `${serviceName(s)} (${pauseNote(s)})` : serviceName(s)));
    return options.length ? el("optgroup", { label: area.name }, options) : null;
  });
  select.replaceChildren(...groups.filter(Boolean));
  select.focus();
}

function closeForms() {
  for (const form of document.querySelectorAll("form.sub")) form.hidden = true;
}

$("transfer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const desk = currentDesk();
  const position = new FormData(event.target).get("position");
  closeForms();
  send("transfer", { service: $("transfer-service").value, position, number: desk?.ticket?.number });
});

$("issue-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const body = { service: $("issue-service").value, priority: $("issue-priority").checked ? 1 : 0 };
  $("issue-priority").checked = false;
  closeForms();
  send("issue", body, `/api/v1/branches/${encodeURIComponent(branch)}/tickets`);
});

for (const cancel of document.querySelectorAll("form.sub .cancel")) cancel.addEventListener("click", closeForms);

$("actions").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (button && !button.disabled) act(button.dataset.action);
});

$("save-services").addEventListener("click", () => {
  const desk = currentDesk();
  if (desk) send("open", { services: deskServices(desk) });
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") return closeForms();
  if (event.ctrlKey || event.altKey || event.metaKey || $("desk").hidden) return;
  // Letters type into fields and pick in lists; on a checkbox they mean nothing, so
  // the desk's keys still work after ticking a service with the keyboard.
  if (event.target.closest("input:not([type=checkbox]), select, textarea")) return;
  const button = $("actions").querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
  if (!button) return;
  event.preventDefault();
  if (!button.disabled) act(button.dataset.action);
});

$("use-desk").addEventListener("click", () => {
  sessionStorage.setItem(DESK_KEY, $("desk-select").value);
  chosen = null;
  boxesFor = "";
  message("", "");
  render();
});

$("change-desk").addEventListener("click", () => {
  sessionStorage.removeItem(DESK_KEY);
  closeForms();
  render();
});

// --- signing in and out -----------------------------------------------------------

function startLive() {
  $("live-status").textContent = t("live.connecting");
  live = connectLive({
    onFrame(frame) {
      if (frame.you) you = frame.you;
      overview = frame.overview;
      render();
      bookingsFrame(overview);
    },
    onRefused(reason) {
      signOut(reason);
    },
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
  forgetBookings();
  $("who").textContent = "";
  $("live-status").textContent = "";
  $("sign-in-error").textContent = refused ? t(`signin.${refused}`) : "";
  show("sign-in");
  $("token-input").focus();
}

$("sign-out").addEventListener("click", () => signOut(false));
setupSignIn($("sign-in-form"), $("token-input"), startLive);
setupLanguage($("lang"), () => {
  boxesFor = "";
  if (lastMessage) message(lastMessage.text, lastMessage.kind);
  render();
  redrawBookings();
});
setupBookings({ message });

applyTexts();
// Waits and "called ... ago" move with the clock: redraw every second (no requests).
setInterval(() => {
  const desk = currentDesk();
  if (desk && !$("desk").hidden) {
    renderTicket(desk);
    renderQueue(desk);
    renderWaitingList(desk);
  }
}, 1000);

if (token.get()) startLive();
else signOut(false);
