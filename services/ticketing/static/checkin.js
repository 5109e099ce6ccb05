// The kiosk's "Jeg har en tid" screen: check in with a booking's code.
//
// The code is typed on the on-screen keys (only the codes' alphabet: no
// 0/O, 1/I/L) or by a barcode/QR scanner, which types into the focused field
// and ends with Enter. A scanner may read either of two things:
//   - the code itself ("7KX2-M9QH", any case, with or without the dash);
//   - the booking page's address (the QR code on /a/{branch}/{id} holds it):
//     the kiosk then asks the API for that booking's code.
// Either way it sends POST /api/v1/branches/{branch}/check-ins {"code"}; the
// answer is a ticket, shown and printed like any other (the kiosk's own path).
// Its words are the catalogues' "checkin" section (i18n/).

import { clockText, request, show, whenAtText } from "./common.js";

const GENTLE = new Set(["checking", "too_early"]);
const IDLE_BACK_MS = 45000; // nobody typing: back to the start for the next citizen
const REFUSALS = {
  unknown_appointment: "c_unknown",
  too_early: "c_too_early",
  too_late: "c_too_late",
  appointment_cancelled: "c_cancelled",
  closed: "c_closed",
};

// What a typed or scanned text names: {code}, {appointmentId}, {otherBranch}, or null.
export function readEntry(text, branch, alphabet) {
  const compact = text.toUpperCase().replace(/[\s-]/g, "");
  if (compact.length === 8 && [...compact].every((ch) => alphabet.includes(ch))) return { code: compact };
  const page = /\/a\/([^/?#\s]+)\/([A-Za-z0-9_-]+)/.exec(text);
  if (page) {
    let named = page[1];
    try {
      named = decodeURIComponent(named);
    } catch {
      // Leave it as it came; it will not match the branch.
    }
    return named === branch ? { appointmentId: page[2] } : { otherBranch: named };
  }
  return null;
}

// `kiosk`: {api, branch, alphabet, t, lang(), timeZone(), showScreen(name), startTiming(),
// postCheckIn(code), onTicket(ticket), backToStart()}.
export function setupCheckIn(kiosk) {
  const $ = (id) => document.getElementById(id);
  const input = $("code");
  const state = { error: null, idleTimer: null, busy: false };

  function renderError() {
    const error = $("checkin-error");
    error.textContent = state.error ? kiosk.t(kiosk.lang(), state.error.key, state.error.vars()) : "";
    error.dataset.code = state.error ? state.error.code : "";
    // Checking, and "come back at 09:45", are no failures: said in the calmer colour.
    error.classList.toggle("pending", Boolean(state.error) && GENTLE.has(state.error.code));
    show(error, Boolean(state.error));
  }

  function setError(key, code, vars = () => ({})) {
    state.error = key ? { key, code, vars } : null;
    renderError();
  }

  function keepAlive() {
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(kiosk.backToStart, IDLE_BACK_MS);
  }

  function buildKeys() {
    const holder = $("keys");
    holder.replaceChildren();
    for (const ch of kiosk.alphabet) {
      const key = document.createElement("button");
      key.type = "button";
      key.className = "key";
      key.dataset.key = ch;
      key.textContent = ch;
      holder.append(key);
    }
    const back = document.createElement("button");
    back.type = "button";
    back.className = "key key-back";
    back.dataset.key = "back";
    back.dataset.tLabel = "backspace";
    back.textContent = "⌫";
    holder.append(back);
    // The keys must not take the focus from the field: a scanner types there.
    holder.addEventListener("mousedown", (event) => event.preventDefault());
    holder.addEventListener("click", (event) => {
      const key = event.target.closest("button.key");
      if (!key || state.busy) return;
      typeKey(key.dataset.key);
    });
  }

  // An on-screen key: the field shows the code as XXXX-XXXX while it is typed.
  function typeKey(key) {
    keepAlive();
    setError(null);
    let compact = input.value.toUpperCase().replace(/[\s-]/g, "");
    if (key === "back") compact = compact.slice(0, -1);
    else if (compact.length < 8) compact += key;
    input.value = compact.length > 4 ? `${compact.slice(0, 4)}-${compact.slice(4)}` : compact;
    input.focus();
  }

  function open(firstCharacter = "") {
    state.busy = false;
    setError(null);
    input.value = firstCharacter;
    kiosk.showScreen("checkin");
    input.focus();
    keepAlive();
  }

  function close() {
    clearTimeout(state.idleTimer);
    state.busy = false;
    input.value = "";
    setError(null);
  }

  async function codeOf(entry) {
    if (entry.code) return { code: entry.code };
    const answer = await request(`${kiosk.api}/appointments/${encodeURIComponent(entry.appointmentId)}`);
    if (answer.status === 200 && answer.body && answer.body.code) return { code: answer.body.code };
    return { answer };
  }

  function refuse(answer) {
    const problem = (answer && answer.body) || {};
    if (!answer) return setError("c_offline", "offline");
    const key = REFUSALS[problem.code] || "c_error";
    const when = () => ({
      when: problem.opens_at ? whenAtText(kiosk.lang(), problem.opens_at, kiosk.timeZone()) : "",
    });
    setError(key, problem.code || String(answer.status), when);
  }

  async function submit(event) {
    event.preventDefault();
    if (state.busy) return;
    keepAlive();
    const entry = readEntry(input.value, kiosk.branch, kiosk.alphabet);
    if (!entry) return setError("c_invalid", "invalid_code");
    if (entry.otherBranch) return setError("c_other_branch", "other_branch");
    kiosk.startTiming();
    state.busy = true;
    $("checkin-ok").disabled = true;
    setError("checking", "checking");
    let answer = null;
    try {
      const found = await codeOf(entry);
      answer = found.answer || (await kiosk.postCheckIn(found.code));
    } catch {
      answer = null;
    }
    state.busy = false;
    $("checkin-ok").disabled = false;
    if (answer && answer.status === 201) {
      close();
      kiosk.onTicket(answer.body);
      return;
    }
    refuse(answer);
    input.select(); // the next scan replaces what was read
    input.focus();
  }

  // A scanner that types while the focus is elsewhere on this screen (a
  // button) still lands in the field.
  document.addEventListener("keydown", (event) => {
    if ($("checkin").hidden || document.activeElement === input) return;
    if (event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey && event.key !== " ") {
      event.preventDefault();
      input.focus();
      input.value += event.key;
      keepAlive();
    }
  });
  input.addEventListener("input", () => {
    keepAlive();
    if (state.error && state.error.code !== "checking") setError(null);
  });
  $("checkin-form").addEventListener("submit", submit);
  $("checkin-back").addEventListener("click", kiosk.backToStart);
  buildKeys();

  return { open, close, render: renderError };
}

// The check-in's ticket on the slip: when the booked time is.
export function appointmentLine(t, lang, ticket, timeZone) {
  if (!ticket.appointment_at) return "";
  return t(lang, "appointment_at", { time: clockText(ticket.appointment_at, timeZone, lang) });
}
