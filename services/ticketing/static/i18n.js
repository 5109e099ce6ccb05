// The citizen pages' languages: one catalogue per language (i18n/<code>.json),
// fetched from this folder (same origin, no inline script: the pages' CSP holds).
//
// A catalogue has one section per page ("kiosk", "checkin", "ticket", "book",
// "booking") and "common" for what they share; every catalogue has exactly
// the keys of da.json. A phrase is a string with {name} placeholders, or, where
// a count changes the words, an object of plural forms chosen by
// Intl.PluralRules ("one", "few", "many", "other", ...) for {n}.
// Names from the branch file exist in Danish and English only: the other
// languages show the English name (localName).

export const LANGUAGES = [
  { code: "da", name: "Dansk", locale: "da-DK", dir: "ltr" },
  { code: "en", name: "English", locale: "en-GB", dir: "ltr" },
  { code: "de", name: "Deutsch", locale: "de-DE", dir: "ltr" },
  { code: "pl", name: "Polski", locale: "pl-PL", dir: "ltr" },
  { code: "uk", name: "Українська", locale: "uk-UA", dir: "ltr" },
  { code: "ar", name: "العربية", locale: "ar", dir: "rtl" },
];
export const DANISH = "da";
const CODES = LANGUAGES.map((language) => language.code);
const catalogues = {};

export function language(code) {
  return LANGUAGES.find((entry) => entry.code === code) || LANGUAGES[0];
}

export function localeOf(code) {
  return language(code).locale;
}

// Fetch the catalogues not loaded yet (Danish always: it is the fallback).
export async function loadLanguages(codes = CODES) {
  const wanted = [...new Set([DANISH, ...codes])].filter((code) => CODES.includes(code) && !catalogues[code]);
  await Promise.all(wanted.map(async (code) => {
    const response = await fetch(new URL(`./i18n/${code}.json`, import.meta.url));
    if (!response.ok) throw new Error(`catalogue ${code}: status ${response.status}`);
    catalogues[code] = await response.json();
  }));
}

// The same, until it works (a page is of no use without its words): `onWait`
// is told before each pause, so the page can say it has no connection.
export async function loadLanguagesRetrying(codes = CODES, onWait = () => {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await loadLanguages(codes);
    } catch {
      onWait();
      const pause = Math.min(30000, 1000 * 2 ** attempt);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

// The phone pages: the citizen's remembered language (loaded), and the menu
// that changes it; `onChange(lang)` runs once the new catalogue is in.
export async function phoneLanguage(select, onChange) {
  const lang = rememberedLang();
  await loadLanguagesRetrying([lang]);
  languageSelect(select, lang, async (picked) => {
    await loadLanguagesRetrying([picked]);
    rememberLang(picked);
    onChange(picked);
  });
  return lang;
}

// Right-to-left text around a left-to-right value ("P001", "KVIK 1", "10:00")
// keeps its order when the value is isolated.
const isolate = (lang, text) => (language(lang).dir === "rtl" ? `\u2068${text}\u2069` : text);

function formatted(lang, value) {
  if (typeof value === "number") return new Intl.NumberFormat(localeOf(lang)).format(value);
  return String(value);
}

// Fill "{name}" placeholders of a phrase (numbers written the language's way).
export function fill(text, vars = {}, lang = DANISH) {
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? isolate(lang, formatted(lang, vars[name])) : ""));
}

function pick(phrase, lang, vars) {
  if (typeof phrase !== "object" || phrase === null) return phrase;
  const form = new Intl.PluralRules(localeOf(lang)).select(Number(vars && vars.n));
  return phrase[form] ?? phrase.other;
}

function lookup(lang, sections, key) {
  for (const section of sections) {
    const words = catalogues[lang] && catalogues[lang][section];
    if (words && key in words) return words[key];
  }
  return undefined;
}

// t(lang, key, vars) over the given sections, then "common"; a key missing in
// a language falls back to Danish (and says so on the console).
export function words(...sections) {
  const order = [...sections, "common"];
  return (lang, key, vars) => {
    let phrase = lookup(lang, order, key);
    if (phrase === undefined) {
      console.warn(`qms: no "${key}" in the ${lang} catalogue`);
      phrase = lookup(DANISH, order, key) ?? key;
    }
    return fill(pick(phrase, lang, vars), vars, lang);
  };
}

const commonWords = words();
export const phrase = (lang, key, vars) => commonWords(lang, key, vars);

// A name from the branch file ({da, en}) in `lang`: English where the file has none.
export function localName(names, lang) {
  if (!names) return "";
  return names[lang] || names.en || names.da || "";
}

// The language `localName` gives the name in, for the element's own `lang`
// (hyphenation and screen readers: a German page shows an English name).
export function localNameLang(names, lang) {
  if (names && names[lang]) return lang;
  return names && !names.en && names.da ? "da" : "en";
}

// Put the page in `lang`: <html lang dir>, every [data-t] element's text and
// every [data-t-label] element's aria-label.
export function applyLanguage(t, lang) {
  const root = document.documentElement;
  root.lang = lang;
  root.dir = language(lang).dir;
  for (const element of document.querySelectorAll("[data-t]")) element.textContent = t(lang, element.dataset.t);
  for (const element of document.querySelectorAll("[data-t-label]")) {
    element.setAttribute("aria-label", t(lang, element.dataset.tLabel));
  }
}

// The kiosk's row of language buttons, each in its own language.
export function languageButtons(holder, current, onPick) {
  holder.replaceChildren();
  for (const entry of LANGUAGES) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "lang";
    button.lang = entry.code;
    button.dir = entry.dir;
    button.dataset.lang = entry.code;
    button.textContent = entry.name;
    button.setAttribute("aria-pressed", String(entry.code === current));
    button.addEventListener("click", () => onPick(entry.code));
    holder.append(button);
  }
}

// The phone pages' language menu (six buttons do not fit beside the name on a phone).
export function languageSelect(select, current, onPick) {
  if (!select.options.length) {
    for (const entry of LANGUAGES) {
      const option = new Option(entry.name, entry.code);
      option.lang = entry.code;
      select.append(option);
    }
    select.addEventListener("change", () => onPick(select.value));
  }
  select.value = current;
}

// The phone pages remember the citizen's language (the kiosk does not: the
// next citizen starts in Danish).
const LANG_KEY = "qms-lang";
export function rememberedLang() {
  try {
    const saved = localStorage.getItem(LANG_KEY);
    return CODES.includes(saved) ? saved : DANISH;
  } catch {
    return DANISH;
  }
}
export function rememberLang(lang) {
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // Private mode without storage: the choice lasts as long as the page.
  }
}
