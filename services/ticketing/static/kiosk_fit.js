// Service names that fit their buttons. A name breaks only between words (and
// after a hyphen or a soft hyphen the branch file put in it: kiosk.css); a word
// too long for its button makes that name's type smaller, just enough, rather
// than break the word: Chromium has no Danish hyphenation, so `hyphens: auto`
// cannot be counted on. Only a word too long even at SMALLEST_REM may break
// (hyphenated where the browser knows the language, else anywhere), so no
// name ever runs past its button's edge. Measured in the page, each time the
// list is drawn and when the start screen or the window's size changes.

const SMALLEST_REM = 1.5;

function rootPx() {
  return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
}

function overflows(name) {
  return name.scrollWidth > name.clientWidth;
}

function fitName(name, smallestPx) {
  let size = parseFloat(getComputedStyle(name).fontSize);
  // A few rounds at most: each takes the size the overflow says would fit.
  for (let round = 0; round < 8 && overflows(name) && size > smallestPx; round++) {
    const scale = Math.min(0.97, name.clientWidth / name.scrollWidth);
    size = Math.max(smallestPx, Math.floor(size * scale * 10) / 10);
    name.style.fontSize = `${size}px`;
  }
  name.classList.toggle("cramped", overflows(name));
}

export function fitNames(holder) {
  const names = [...holder.querySelectorAll(".service-name")];
  for (const name of names) {
    name.style.fontSize = ""; // back to the stylesheet's size: the screen may be wider now
    name.classList.remove("cramped");
  }
  const smallestPx = SMALLEST_REM * rootPx();
  // A hidden screen has no layout to measure: fitted when it is shown.
  for (const name of names) if (name.clientWidth > 0) fitName(name, smallestPx);
}
