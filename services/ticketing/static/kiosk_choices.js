// The kiosk's choices: an area's heading, its plain line and a button per
// service (name, waiting figures or why it is closed, a quiet-hours hint),
// and "Andet / ved ikke". Built from one services-list answer; kiosk.js owns
// the screens, the language and what a tap does (`choose`).

import { timeText, waitText } from "./common.js";
import { localName, localNameLang, localeOf, words } from "./i18n.js";
import { quietHint } from "./quiet.js";

const t = words("kiosk", "checkin");

// A service a manager paused: listed, not choosable, with why (and when it
// opens again: `until` already written in the language's digits).
export function pausedText(lang, until) {
  return until ? t(lang, "paused_until", { time: until }) : t(lang, "paused");
}

// The plain line under an area's name: the branch file's, else its services' names.
function areaLine(area, services, lang) {
  if (area.description) return localName(area.description, lang);
  const names = services.map((service) => localName(service.name, lang));
  return new Intl.ListFormat(localeOf(lang), { type: "conjunction" }).format(names);
}

// The area groups for `areas` (in that order), the "other" choice with its area.
// `ctx`: {lang, busy, choose(service, other)}: a tap on a button calls `choose`.
export function choiceGroups(data, areas, ctx) {
  const groups = [];
  const other = data.services.find((s) => s.id === data.other_service);
  let otherShown = false;
  for (const area of areas) {
    const services = data.services.filter((s) => s.area === area.id);
    if (!services.length) continue;
    // Not map(serviceButton): its index would arrive as `other` (slip "Andet / ved ikke").
    const buttons = services.map((service) => serviceButton(service, ctx));
    if (other && other.area === area.id) {
      buttons.push(otherButton(other, ctx));
      otherShown = true;
    }
    groups.push(areaGroup(area, areaLine(area, services, ctx.lang), buttons));
  }
  // A kiosk showing only other areas still sends the unsure to the "other" area.
  if (other && !otherShown) {
    const area = data.areas.find((a) => a.id === other.area);
    groups.push(areaGroup(area, "", [otherButton(other, ctx)]));
  }
  return groups;
}

function areaGroup(area, line, buttons) {
  const group = document.createElement("section");
  group.className = "area";
  group.dataset.area = area.id;
  // Taller areas for more buttons: the choices share the screen's height.
  group.style.flexGrow = String(buttons.length);
  const heading = document.createElement("h2");
  heading.textContent = area.name;
  group.append(heading);
  if (line) {
    const what = document.createElement("p");
    what.className = "area-line";
    what.dir = "auto"; // an English fallback keeps its own direction on an Arabic page
    what.textContent = line;
    group.append(what);
  }
  const grid = document.createElement("div");
  grid.className = "buttons";
  grid.append(...buttons);
  group.append(grid);
  return group;
}

// "Andet / ved ikke": a ticket for the branch's catch-all service, said as such.
function otherButton(service, ctx) {
  const button = serviceButton(service, ctx, true);
  button.classList.add("other");
  delete button.dataset.service; // [data-service] names the service's own button only
  button.dataset.choice = "other";
  const name = button.querySelector(".service-name");
  name.textContent = t(ctx.lang, "other");
  name.lang = ctx.lang; // the page's own words, not the branch file's
  button.querySelector(".service-info").textContent = t(ctx.lang, "other_sub", { area: service.area_name });
  return button;
}

function serviceButton(service, ctx, other = false) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "service";
  button.dataset.service = service.id;
  button.disabled = !service.open || ctx.busy;
  const name = document.createElement("span");
  name.className = "service-name";
  name.dir = "auto";
  name.textContent = localName(service.name, ctx.lang);
  name.lang = localNameLang(service.name, ctx.lang);
  // A long name starts smaller (fewer lines); a word too wide for the button
  // makes it smaller still (kiosk_fit.js), so words are never cut.
  const length = name.textContent.length;
  if (length > 16) name.classList.add("longest");
  else if (length > 12) name.classList.add("long");
  const info = document.createElement("span");
  info.className = "service-info";
  if (service.reason === "would_exceed_closing") {
    info.textContent = t(ctx.lang, "full");
  } else if (service.paused) {
    button.classList.add("paused");
    info.textContent = pausedText(ctx.lang, service.paused_until && timeText(ctx.lang, service.paused_until));
  } else if (service.open) {
    const wait = waitText(ctx.lang, service.estimated_wait_s);
    info.textContent = waitingText(service.waiting, ctx.lang) + (wait && service.waiting ? ` · ${wait}` : "");
  }
  button.append(name, info);
  const quiet = service.open && !other ? quietHint(ctx.lang, service, service.estimated_wait_s) : "";
  if (quiet) {
    const hint = document.createElement("span");
    hint.className = "service-quiet";
    hint.textContent = quiet;
    button.append(hint);
  }
  button.addEventListener("click", () => ctx.choose(service, other));
  return button;
}

function waitingText(n, lang) {
  return n ? t(lang, "waiting", { n }) : t(lang, "waiting_none");
}
