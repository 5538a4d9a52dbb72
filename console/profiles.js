// profiles.js: the phone security profile pages: Find and List Phone
// Security Profiles, the Add New choice of type and protocol, and Phone
// Security Profile Configuration (add, copy, save, delete, apply config,
// dependency records).

import * as axl from "./axl.js";
import { el, button, select, row, status, confirmDialog, page, link } from "./ui.js";
import { findList } from "./findlist.js";
import { PROFILE_FIELDS, PROFILE_DEFAULTS, predefinedName, isPredefined, fieldOfFault } from "./fields.js";
import { deliveryPanel } from "./delivery.js";

// The schema's lengths: the browser stops the typing, the server checks anyway.
const MAX_LENGTH = { name: 100, description: 50 };
const LIST_TAGS = ["name", "description", "phoneType", "protocol", "deviceSecurityMode"];

export function href(route, params) {
  return "#/" + route + (params ? "?" + new URLSearchParams(params).toString() : "");
}

function go(route, params) { location.hash = href(route, params); }

export function listPage(ctx) {
  page("Find and List Phone Security Profiles",
    ctx.writable ? el("div", { class: "buttons" }, button("Add New", () => go("profile-add"))) : null,
    findList({
      key: "profiles", noun: "Phone Security Profile", writable: ctx.writable,
      params: [["name", "Name", "name"], ["description", "Description", "description"],
               ["phoneType", "Device Type", null], ["protocol", "Device Protocol", null],
               ["deviceSecurityMode", "Device Security Mode", null]],
      columns: [["name", "Name"], ["phoneType", "Device Type"], ["protocol", "Device Protocol"],
                ["deviceSecurityMode", "Device Security Mode"], ["description", "Description"]],
      load: (c) => axl.list("PhoneSecurityProfile", c, LIST_TAGS),
      href: (r) => href("profile", { name: r.name }),
      extra: ctx.writable ? (r) => button("Copy", () => go("profile-copy", { name: r.name }),
                                          { "aria-label": "Copy " + r.name }) : null,
      canDelete: (r) => !isPredefined(r.name),
      remove: (r) => axl.call("removePhoneSecurityProfile", axl.xml([["name", r.name]])),
    }));
}

// Add New: the type and protocol come from the predefined profiles, one per
// type and protocol the server knows.
export async function addPage() {
  const rows = await axl.list("PhoneSecurityProfile", { name: "% - Standard % Non-Secure Profile" },
                              ["phoneType", "protocol"]);
  const types = [...new Set(rows.map((r) => r.phoneType))].sort();
  const type = select(types, types.includes("Cisco 8845") ? "Cisco 8845" : types[0]);
  const proto = select([]);
  const fill = () => proto.replaceChildren(...rows.filter((r) => r.phoneType === type.value)
    .map((r) => el("option", { value: r.protocol }, r.protocol)));
  type.addEventListener("change", fill);
  fill();
  page("Phone Security Profile Configuration",
    el("h2", {}, "Add a New Phone Security Profile"),
    el("form", { class: "form", onsubmit: (ev) => ev.preventDefault() },
       row("Phone Security Profile Type", type), row("Protocol", proto),
       el("div", { class: "buttons" },
          button("Next", () => go("profile-new", { type: type.value, protocol: proto.value })))));
}

// The profile a configuration page opens: a new one with its type's
// defaults (the predefined profile's settings, else the schema's), a copy,
// or a stored one.
async function loadProfile(mode, q) {
  if (mode === "new") {
    const found = await axl.list("PhoneSecurityProfile",
                                 { name: predefinedName(q.get("type"), q.get("protocol")) },
                                 Object.keys(PROFILE_DEFAULTS));
    return Object.assign({}, found.length ? found[0] : PROFILE_DEFAULTS,
                         { name: "", description: "", phoneType: q.get("type"), protocol: q.get("protocol") });
  }
  const p = await axl.get("PhoneSecurityProfile", q.get("name"));
  return mode === "copy" ? Object.assign(p, { name: "Copy of " + p.name }) : p;
}

function control(f, value, readOnly) {
  const [tag, , kind, options] = f;
  let c;
  if (kind === "select") c = select(options, value);
  else if (kind === "checkbox") c = el("input", { type: "checkbox", checked: value === "true" });
  else c = el("input", { type: kind, value: value || "", required: tag === "name",
                         maxlength: MAX_LENGTH[tag] });
  c.name = tag;
  c.disabled = readOnly;
  return c;
}

function valueOf(c) {
  return c.type === "checkbox" ? String(c.checked) : c.value;
}

// A fault in words next to the field it names, else at the top.
function showFault(form, e) {
  const tag = fieldOfFault(e.message, form.shown);
  if (!tag) { status(e.message, "error"); return; }
  document.getElementById(form.controls.get(tag).id + "-err").textContent = e.message;
  status("The change was not saved: see the message next to " +
         form.shown.find((f) => f[0] === tag)[1] + ".", "error");
}

// Save: add (a new profile or a copy) or update (newName when renamed).
async function save(ctx, form) {
  for (const e of document.querySelectorAll(".field-error")) e.textContent = "";
  const values = form.shown.map(([tag]) => [tag, valueOf(form.controls.get(tag))]);
  const name = form.controls.get("name").value;
  const original = form.original;
  try {
    if (original === null)
      await axl.call("addPhoneSecurityProfile", axl.xml([["phoneSecurityProfile",
        Object.fromEntries([["phoneType", form.p.phoneType], ["protocol", form.p.protocol], ...values])]]));
    else
      await axl.call("updatePhoneSecurityProfile", axl.xml([["name", original],
        ["newName", name !== original ? name : null], ...values.filter(([t]) => t !== "name")]));
    ctx.flash = original === null ? "Add successful" : "Update successful";
    go("profile", { name });
    if (original === name) ctx.route();
  } catch (e) { showFault(form, e); }
}

async function remove(ctx, name) {
  if (!await confirmDialog("Delete", "You are about to permanently delete the profile " + name +
                           ". This action cannot be undone. Click OK to delete, Cancel to keep it.")) return;
  try {
    await axl.call("removePhoneSecurityProfile", axl.xml([["name", name]]));
    ctx.flash = "Delete successful";
    go("profiles");
  } catch (e) { status(e.message, "error"); }
}

// Dependency Records: the phones that use the profile (listPhone by
// securityProfileName).
async function dependencies(where, name) {
  try {
    const phones = await axl.list("Phone", { securityProfileName: name }, ["name", "description", "model"]);
    const th = (t) => el("th", { scope: "col" }, t);
    where.replaceChildren(el("section", { "aria-labelledby": "dep-title" },
      el("h2", { id: "dep-title" }, "Dependency Records"),
      phones.length === 0 ? el("p", {}, "No phone uses this profile.")
        : el("table", {}, el("caption", {}, "Phones that use " + name),
             el("thead", {}, el("tr", {}, th("Device Name"), th("Device Type"), th("Description"))),
             el("tbody", {}, phones.map((ph) => el("tr", {},
               el("td", {}, link(ph.name, href("phone", { name: ph.name }))),
               el("td", {}, ph.model), el("td", {}, ph.description)))))));
  } catch (e) { status(e.message, "error"); }
}

function toolbar(ctx, form, extra) {
  const name = form.original;
  const w = ctx.writable;
  const editing = name !== null;
  return el("div", { class: "buttons toolbar" },
    w && !form.predefined ? button("Save", () => save(ctx, form)) : null,
    w && editing && !form.predefined ? button("Delete", () => remove(ctx, name)) : null,
    w && editing ? button("Copy", () => go("profile-copy", { name })) : null,
    w && editing ? button("Apply Config", () => deliveryPanel(extra, "PhoneSecurityProfile", name)) : null,
    editing ? button("Dependency Records", () => dependencies(extra, name)) : null,
    w ? button("Add New", () => go("profile-add")) : null,
    link("Back to Find/List", href("profiles")));
}

// mode: "new" (type, protocol), "edit" (name) or "copy" (name).
export async function configPage(ctx, mode, q) {
  const p = await loadProfile(mode, q);
  const original = mode === "edit" ? p.name : null;
  const predefined = original !== null && isPredefined(p.name);
  const shown = PROFILE_FIELDS.filter((f) => f[4](p));
  const controls = new Map(shown.map((f) => [f[0], control(f, p[f[0]], predefined || !ctx.writable)]));
  const form = { p, original, predefined, shown, controls };
  const extra = el("div", { class: "extra" });
  page("Phone Security Profile Configuration",
    toolbar(ctx, form, extra),
    predefined ? el("p", { class: "notice", role: "note" }, "This is a predefined profile: it cannot be " +
                    "changed or deleted. Copy it to make one you can change.") : null,
    ctx.writable ? null : el("p", { class: "notice", role: "note" },
                             "Your user has read-only access: nothing here can be changed."),
    el("dl", { class: "facts" }, el("dt", {}, "Phone Security Profile Type"), el("dd", {}, p.phoneType),
       el("dt", {}, "Device Protocol"), el("dd", {}, p.protocol)),
    el("form", { class: "form", onsubmit: (ev) => ev.preventDefault(),
                 "aria-label": "Phone Security Profile Information" },
       el("h2", {}, "Phone Security Profile Information"), shown.map((f) => row(f[1], controls.get(f[0])))),
    extra);
}
