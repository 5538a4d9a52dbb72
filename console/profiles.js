// profiles.js: the phone security profile pages: Find and List Phone
// Security Profiles, the Add New choice of type and protocol, and Phone
// Security Profile Configuration (add, copy, save, delete, apply config,
// dependency records).

import * as axl from "./axl.js";
import { el, button, select, row, status, confirmDialog, page, link } from "./ui.js";
import { findList } from "./findlist.js";
import { PROFILE_FIELDS, PROFILE_DEFAULTS, predefinedName, isPredefined, fieldOfFault } from "./fields.js";
import { deliveryPanel } from "./delivery.js";

const LIST_TAGS = ["name", "description", "phoneType", "protocol", "deviceSecurityMode"];

function href(route, params) {
  return "#/" + route + (params ? "?" + new URLSearchParams(params).toString() : "");
}

export function listPage(ctx) {
  page("Find and List Phone Security Profiles",
    ctx.writable ? el("div", { class: "buttons" }, button("Add New", () => { location.hash = href("profile-add"); })) : "",
    findList({
      key: "profiles", noun: "Phone Security Profile", writable: ctx.writable,
      params: [["name", "Name", "name"], ["description", "Description", "description"],
               ["phoneType", "Device Type", null], ["protocol", "Device Protocol", null],
               ["deviceSecurityMode", "Device Security Mode", null]],
      columns: [["name", "Name"], ["phoneType", "Device Type"], ["protocol", "Device Protocol"],
                ["deviceSecurityMode", "Device Security Mode"], ["description", "Description"]],
      load: (c) => axl.list("PhoneSecurityProfile", c, LIST_TAGS),
      href: (r) => href("profile", { name: r.name }),
      extra: ctx.writable ? (r) => button("Copy", () => { location.hash = href("profile-copy", { name: r.name }); },
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
       el("div", { class: "buttons" }, button("Next", () => {
         location.hash = href("profile-new", { type: type.value, protocol: proto.value }); }))));
}

function control(f, value, readOnly) {
  const [tag, , kind, options] = f;
  let c;
  if (kind === "select") c = select(options, value);
  else if (kind === "checkbox") c = el("input", { type: "checkbox", checked: value === "true" });
  else c = el("input", { type: kind, value: value || "", required: tag === "name" });
  c.name = tag;
  c.disabled = readOnly;
  return c;
}

function valueOf(c) {
  return c.type === "checkbox" ? String(c.checked) : c.value;
}

// mode: "new" (type, protocol), "edit" (name) or "copy" (name).
export async function configPage(ctx, mode, q) {
  let p;
  if (mode === "new") {
    // The defaults: the type's predefined profile, else the schema's.
    const found = await axl.list("PhoneSecurityProfile", { name: predefinedName(q.get("type"), q.get("protocol")) },
                                 Object.keys(PROFILE_DEFAULTS));
    const base = found.length ? found[0] : PROFILE_DEFAULTS;
    p = Object.assign({}, base, { name: "", description: "", phoneType: q.get("type"),
                                  protocol: q.get("protocol") });
  } else {
    p = await axl.get("PhoneSecurityProfile", q.get("name"));
    if (mode === "copy") p = Object.assign(p, { name: "Copy of " + p.name });
  }
  const predefined = mode === "edit" && isPredefined(p.name);
  const readOnly = predefined || !ctx.writable;
  const shown = PROFILE_FIELDS.filter((f) => f[4](p));
  const controls = new Map(shown.map((f) => [f[0], control(f, p[f[0]], readOnly)]));
  const rows = shown.map((f) => row(f[1], controls.get(f[0])));
  const extra = el("div", { class: "extra" });
  const original = mode === "edit" ? p.name : null;

  function clearFaults() { for (const e of document.querySelectorAll(".field-error")) e.textContent = ""; }
  function showFault(e) {
    const tag = fieldOfFault(e.message, shown);
    if (tag) {
      document.getElementById(controls.get(tag).id + "-err").textContent = e.message;
      status("The change was not saved: see the message next to " +
             shown.find((f) => f[0] === tag)[1] + ".", "error");
    } else status(e.message, "error");
  }

  async function save() {
    clearFaults();
    const values = shown.map(([tag]) => [tag, valueOf(controls.get(tag))]);
    try {
      if (original === null) {
        await axl.call("addPhoneSecurityProfile", axl.xml([["phoneSecurityProfile",
          Object.fromEntries([["phoneType", p.phoneType], ["protocol", p.protocol], ...values])]]));
      } else {
        const rest = values.filter(([t]) => t !== "name");
        const newName = controls.get("name").value;
        await axl.call("updatePhoneSecurityProfile", axl.xml([["name", original],
          ["newName", newName !== original ? newName : null], ...rest]));
      }
      const name = controls.get("name").value;
      ctx.flash = original === null ? "Add successful" : "Update successful";
      location.hash = href("profile", { name });
      if (original === name) ctx.route();
    } catch (e) { showFault(e); }
  }

  async function remove() {
    if (!await confirmDialog("Delete", "You are about to permanently delete the profile " + original +
                             ". This action cannot be undone. Click OK to delete, Cancel to keep it.")) return;
    try {
      await axl.call("removePhoneSecurityProfile", axl.xml([["name", original]]));
      ctx.flash = "Delete successful";
      location.hash = href("profiles");
    } catch (e) { status(e.message, "error"); }
  }

  async function dependencies() {
    try {
      const phones = await axl.list("Phone", { securityProfileName: original }, ["name", "description", "model"]);
      extra.replaceChildren(el("section", { "aria-labelledby": "dep-title" },
        el("h2", { id: "dep-title" }, "Dependency Records"),
        phones.length === 0 ? el("p", {}, "No phone uses this profile.")
          : el("table", {}, el("caption", {}, "Phones that use " + original),
               el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Device Name"),
                                  el("th", { scope: "col" }, "Device Type"), el("th", { scope: "col" }, "Description"))),
               el("tbody", {}, phones.map((ph) => el("tr", {}, el("td", {}, link(ph.name, href("phone", { name: ph.name }))),
                                                    el("td", {}, ph.model), el("td", {}, ph.description))))))); 
    } catch (e) { status(e.message, "error"); }
  }

  const editing = original !== null;
  page("Phone Security Profile Configuration",
    el("div", { class: "buttons toolbar" },
       ctx.writable && !predefined ? button("Save", save) : null,
       ctx.writable && editing && !predefined ? button("Delete", remove) : null,
       ctx.writable && editing ? button("Copy", () => { location.hash = href("profile-copy", { name: original }); }) : null,
       ctx.writable && editing ? button("Apply Config", () => deliveryPanel(extra, "PhoneSecurityProfile", original)) : null,
       editing ? button("Dependency Records", dependencies) : null,
       ctx.writable ? button("Add New", () => { location.hash = href("profile-add"); }) : null,
       link("Back to Find/List", href("profiles"))),
    predefined ? el("p", { class: "notice", role: "note" },
      "This is a predefined profile: it cannot be changed or deleted. Copy it to make one you can change.") : null,
    !ctx.writable ? el("p", { class: "notice", role: "note" }, "Your user has read-only access: nothing here can be changed.") : null,
    el("dl", { class: "facts" }, el("dt", {}, "Phone Security Profile Type"), el("dd", {}, p.phoneType),
       el("dt", {}, "Device Protocol"), el("dd", {}, p.protocol)),
    el("form", { class: "form", onsubmit: (ev) => ev.preventDefault(), "aria-label": "Phone Security Profile Information" },
       el("h2", {}, "Phone Security Profile Information"), rows),
    extra);
}
