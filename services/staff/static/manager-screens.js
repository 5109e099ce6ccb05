// Manager page: a warning for each area whose hall screen can only chime (no Danish
// voice: no browser voice, no espeak-ng on the display service, no clips) or plays
// nothing (the browser blocks sound until someone taps). The display service says
// what each connected screen told it (GET /display/status, read from here: the
// staff service never asks the display itself). Where the display is comes from
// /manager/{branch}/display (QMS_PUBLIC_DISPLAY_URL).
import { branch, state } from "./common.js";

const EVERY_MS = 30000;
const TEXTS = {
  da: {
    chime: (area, n) => `${n === 1 ? "Kaldeskærmen" : `${n} kaldeskærme`} i ${area} kan kun spille en lyd: ingen dansk stemme. Installér espeak-ng på skærmserveren eller en dansk stemme i browseren.`,
    silent: (area, n) => `${n === 1 ? "Kaldeskærmen" : `${n} kaldeskærme`} i ${area} spiller ingen lyd: start browseren med --autoplay-policy=no-user-gesture-required, eller tryk én gang på skærmen.`,
  },
  en: {
    chime: (area, n) => `${n === 1 ? "The hall screen" : `${n} hall screens`} in ${area} can only chime: no Danish voice. Install espeak-ng on the display server or a Danish voice in the browser.`,
    silent: (area, n) => `${n === 1 ? "The hall screen" : `${n} hall screens`} in ${area} play no sound: start the browser with --autoplay-policy=no-user-gesture-required, or tap the screen once.`,
  },
};

const list = document.getElementById("screen-warnings");
let screens = [];

async function statusUrl() {
  const response = await fetch(`/manager/${encodeURIComponent(branch)}/display`);
  if (!response.ok) return null;
  const where = await response.json();
  if (where.mode === "same-origin") return "/display/status";
  if (where.mode === "url") return `${where.url}/display/status`;
  if (!where.port) return null; // no display port known: nothing to read
  return `${location.protocol}//${location.hostname}:${where.port}/display/status`;
}

function render() {
  const words = TEXTS[state.lang] ?? TEXTS.da;
  const rows = [];
  for (const screen of screens.filter((s) => s.branch === branch)) {
    for (const kind of ["chime", "silent"]) {
      const count = screen.voices[kind] ?? 0;
      if (!count) continue;
      const row = document.createElement("li");
      Object.assign(row.dataset, { area: screen.area, voice: kind });
      row.textContent = words[kind](screen.area_name, count);
      rows.push(row);
    }
  }
  list.replaceChildren(...rows);
  list.hidden = rows.length === 0;
}

async function poll(url) {
  try {
    const response = await fetch(url, { cache: "no-store" });
    if (response.ok) screens = (await response.json()).screens;
  } catch {
    // The display may be down or elsewhere: no warning is better than a wrong one.
  }
  render();
  setTimeout(() => poll(url), EVERY_MS);
}

document.getElementById("lang").addEventListener("click", render);
statusUrl().then((url) => url && poll(url), () => {});
