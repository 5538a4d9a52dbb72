// app.js: the console's shell: sign-in, the menu, the idle timeout, the
// read-only role, and the hash routes to the pages.

import * as axl from "./axl.js";
import { el, button, row, status, page } from "./ui.js";
import * as profiles from "./profiles.js";
import * as phones from "./phones.js";

const ctx = { writable: false, flash: null, route };
let idleTimer = null;

function idleSeconds() {
  const q = new URLSearchParams(location.search).get("idle");
  const meta = document.querySelector('meta[name="axlprov-idle-timeout"]');
  const s = Number(q || (meta && meta.content) || 900);
  return s > 0 ? s : 900;
}

function touch() {
  if (!axl.signedIn()) return;
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => signOut("You were idle too long: sign in again."), idleSeconds() * 1000);
}

function signOut(message) {
  axl.signOut();
  clearTimeout(idleTimer);
  for (const d of document.querySelectorAll("dialog")) d.remove();   // nothing left to confirm
  document.getElementById("menu").hidden = true;
  document.getElementById("who").textContent = "";
  signInPage(message);
}

function signInPage(message) {
  const user = el("input", { type: "text", autocomplete: "username", required: true });
  const pass = el("input", { type: "password", autocomplete: "current-password", required: true });
  const msg = el("p", { class: "error", role: "alert" }, message || "");
  const form = el("form", { class: "form signin", "aria-label": "Sign in" },
    row("User Name", user), row("Password", pass), msg,
    el("div", { class: "buttons" }, el("button", { type: "submit" }, "Login")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    msg.textContent = "";
    try {
      const role = await axl.signIn(user.value, pass.value);
      ctx.writable = role === "full";
      document.getElementById("menu").hidden = false;
      document.getElementById("who").textContent = user.value + (ctx.writable ? "" : " (read-only)");
      touch();
      if (!location.hash || location.hash === "#/") location.hash = "#/profiles";
      else route();
    } catch (e) { msg.textContent = e.message; }
  });
  status("");
  page("Cisco Unified CM Console", el("p", {}, "Sign in with an AXL user."), form);
  user.focus();
}

const ROUTES = {
  "profiles": () => profiles.listPage(ctx),
  "profile-add": () => profiles.addPage(ctx),
  "profile-new": (q) => profiles.configPage(ctx, "new", q),
  "profile": (q) => profiles.configPage(ctx, "edit", q),
  "profile-copy": (q) => profiles.configPage(ctx, "copy", q),
  "phones": () => phones.listPage(ctx),
  "phone": (q) => phones.configPage(ctx, q),
};

async function route() {
  if (!axl.signedIn()) return;
  const [path, query] = location.hash.replace(/^#\//, "").split("?");
  const go = ROUTES[path] || ROUTES.profiles;
  closeMenus();
  const flash = ctx.flash;
  ctx.flash = null;
  status("");
  try {
    await go(new URLSearchParams(query || ""));
    if (flash) status(flash, "info");
  } catch (e) {
    if (e.status === 401) signOut(e.message);
    else status(e.message, "error");
  }
}

function closeMenus(except) {
  for (const b of document.querySelectorAll("#menu button[aria-controls]")) {
    const sub = document.getElementById(b.getAttribute("aria-controls"));
    if (except && (sub.contains(except) || sub === except)) continue;
    b.setAttribute("aria-expanded", "false");
    sub.hidden = true;
  }
}

function setupMenu() {
  for (const b of document.querySelectorAll("#menu button[aria-controls]")) {
    b.addEventListener("click", () => {
      const sub = document.getElementById(b.getAttribute("aria-controls"));
      const open = sub.hidden;
      closeMenus(b);
      sub.hidden = !open;
      b.setAttribute("aria-expanded", String(open));
    });
  }
  // A menu item for the page already shown opens it afresh.
  for (const a of document.querySelectorAll("#menu a")) {
    a.addEventListener("click", (ev) => {
      if (a.hash === location.hash) { ev.preventDefault(); route(); }
    });
  }
  document.getElementById("logout").addEventListener("click", () => signOut("You signed out."));
  document.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closeMenus(); });
}

for (const ev of ["pointerdown", "keydown"]) document.addEventListener(ev, touch, true);
window.addEventListener("hashchange", route);
setupMenu();
signInPage();
