// ui.js: small DOM helpers shared by the pages: elements, labelled fields,
// messages, the confirmation dialog.  Nothing here writes inline style or
// script (the Content-Security-Policy forbids both).

let nextId = 0;

export function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function uid(prefix) { nextId += 1; return prefix + nextId; }

export function button(label, onclick, attrs) {
  return el("button", Object.assign({ type: "button", onclick }, attrs || {}), label);
}

export function select(options, value, attrs) {
  const s = el("select", attrs || {});
  for (const o of options) {
    const [v, t] = Array.isArray(o) ? o : [o, o];
    s.append(el("option", { value: v, selected: v === value }, t));
  }
  return s;
}

// A labelled form row: label, control, and the place its fault goes.
export function row(label, control) {
  const id = control.id || uid("f");
  const err = el("span", { class: "field-error", role: "alert", id: id + "-err" });
  control.id = id;
  control.setAttribute("aria-describedby", err.id);
  return el("div", { class: "row" }, el("label", { for: id }, label), control, err);
}

// The status line at the top of a page.
export function status(text, kind) {
  const s = document.getElementById("status");
  s.textContent = text || "";
  s.className = text ? "status " + (kind || "info") : "status";
}

// A modal dialog with a message and OK / Cancel; resolves true for OK.
export function confirmDialog(title, message, withCancel = true) {
  return new Promise((resolve) => {
    const titleId = uid("dlg");
    const d = el("dialog", { "aria-labelledby": titleId });
    const done = (v) => { d.close(); d.remove(); resolve(v); };
    d.append(el("h2", { id: titleId }, title), el("p", {}, message),
             el("div", { class: "buttons" }, button("OK", () => done(true)),
                withCancel ? button("Cancel", () => done(false)) : null));
    d.addEventListener("cancel", (ev) => { ev.preventDefault(); done(false); });
    document.body.append(d);
    d.showModal();
  });
}

export function page(title, ...children) {
  const main = document.getElementById("main");
  main.replaceChildren(el("h1", {}, title), ...children.flat().filter((c) => c !== null && c !== ""));
  document.title = title + " - Cisco Unified CM Console";
}

export function link(text, href) { return el("a", { href }, text); }
