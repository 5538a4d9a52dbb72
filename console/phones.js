// phones.js: Find and List Phones (Security Profile among the search
// parameters) and Phone Configuration: the Device Security Profile
// drop-down (only profiles for the phone's type and protocol), the CAPF
// settings with the profile they led to after Save, the certificate
// status, and Apply Config.

import * as axl from "./axl.js";
import { el, button, select, row, status, page, link } from "./ui.js";
import { findList } from "./findlist.js";
import { AUTH_MODES, KEY_ORDERS, KEY_SIZES, EC_KEY_SIZES, fieldOfFault } from "./fields.js";
import { deliveryPanel } from "./delivery.js";

const CERT_OPS = ["No Pending Operation", "Install/Upgrade", "Delete", "Troubleshoot"];
const CAPF = [
  ["certificateOperation", "Certificate Operation", CERT_OPS],
  ["authenticationMode", "Authentication Mode", AUTH_MODES],
  ["authenticationString", "Authentication String", null],
  ["keyOrder", "Key Order", KEY_ORDERS],
  ["keySize", "Key Size (Bits)", KEY_SIZES],
  ["ecKeySize", "EC Key Size (Bits)", EC_KEY_SIZES],
  ["upgradeFinishTime", "Operation Completes By", null],
];
// Changing these moves the phone to a matching profile, or a new one.
const PROFILE_CAPF = ["authenticationMode", "keyOrder", "keySize", "ecKeySize"];

function href(route, params) {
  return "#/" + route + (params ? "?" + new URLSearchParams(params).toString() : "");
}

export function listPage(ctx) {
  page("Find and List Phones", findList({
    key: "phones", noun: "Phone", writable: ctx.writable,
    params: [["name", "Device Name", "name"], ["description", "Description", "description"],
             ["securityProfileName", "Security Profile", "securityProfileName"],
             ["protocol", "Device Protocol", "protocol"], ["model", "Device Type", null]],
    columns: [["name", "Device Name"], ["description", "Description"], ["model", "Device Type"],
              ["protocol", "Device Protocol"], ["securityProfileName", "Device Security Profile"]],
    load: (c) => axl.list("Phone", c, ["name", "description", "model", "protocol", "securityProfileName"]),
    href: (r) => href("phone", { name: r.name }),
    canDelete: () => false,
  }));
}

// The profiles the phone may use: its model and protocol's, and the
// model-independent one.
async function profilesFor(phone) {
  const all = await axl.list("PhoneSecurityProfile", { name: "%" }, ["name", "phoneType", "protocol"]);
  const model = phone.model || phone.product;
  return all.filter((p) => (p.phoneType === model && p.protocol === phone.protocol) ||
                           p.phoneType === "Universal Device Template").map((p) => p.name).sort();
}

const NO_OP = "No Pending Operation";

function stored(phone, tag) {
  return phone[tag] || (tag === "certificateOperation" ? NO_OP : "");
}

// The page's controls: description, profile and the CAPF settings.
function controlsFor(phone, choices, readOnly) {
  const controls = new Map([
    ["description", el("input", { type: "text", value: phone.description || "", disabled: readOnly })],
    ["securityProfileName", select(choices, phone.securityProfileName, { disabled: readOnly })]]);
  for (const [tag, , opts] of CAPF)
    controls.set(tag, opts ? select(opts, stored(phone, tag), { disabled: readOnly })
                           : el("input", { type: "text", value: phone[tag] || "", disabled: readOnly }));
  return controls;
}

// What Save did to the profile: the server moves a phone whose CAPF
// settings changed to a profile that has them, or makes one.
function profileNote(before, after, chosen, choices) {
  if (after === before || after === chosen) return "";
  return choices.includes(after) ? ": the phone moved to profile " + after
                                 : ": created profile " + after + " for the new CAPF settings";
}

// Save: updatePhone with what changed; the schema lets CAPF settings
// change only together with a certificate operation.
async function save(ctx, phone, choices, controls) {
  for (const e of document.querySelectorAll(".field-error")) e.textContent = "";
  const changed = [...controls].filter(([tag, c]) => c.value !== stored(phone, tag));
  if (changed.length === 0) { status("Nothing changed.", "info"); return; }
  if (changed.some(([t]) => PROFILE_CAPF.includes(t) || t === "authenticationString") &&
      !changed.some(([t]) => t === "certificateOperation"))
    changed.push(["certificateOperation", controls.get("certificateOperation")]);
  try {
    await axl.call("updatePhone", axl.xml([["name", phone.name], ...changed.map(([t, c]) => [t, c.value])]));
    const after = await axl.get("Phone", phone.name);
    ctx.flash = "Update successful" + profileNote(phone.securityProfileName, after.securityProfileName,
                                                  controls.get("securityProfileName").value, choices);
    ctx.route();
  } catch (e) {
    const tag = fieldOfFault(e.message, [["description", "Description"],
                                         ["securityProfileName", "Device Security Profile"], ...CAPF]);
    if (tag) document.getElementById(controls.get(tag).id + "-err").textContent = e.message;
    status(e.message, "error");
  }
}

export async function configPage(ctx, q) {
  const phone = await axl.get("Phone", q.get("name"));
  const choices = await profilesFor(phone);
  const controls = controlsFor(phone, choices, !ctx.writable);
  const extra = el("div", { class: "extra" });
  const fact = (k, v) => [el("dt", {}, k), el("dd", {}, v)];
  page("Phone Configuration",
    el("div", { class: "buttons toolbar" },
       ctx.writable ? button("Save", () => save(ctx, phone, choices, controls)) : null,
       ctx.writable ? button("Apply Config", () => deliveryPanel(extra, "Phone", phone.name)) : null,
       link("Back to Find/List", href("phones"))),
    ctx.writable ? null : el("p", { class: "notice", role: "note" },
                             "Your user has read-only access: nothing here can be changed."),
    el("dl", { class: "facts" }, fact("Device Name", phone.name), fact("Device Type", phone.model || phone.product),
       fact("Device Protocol", phone.protocol),
       fact("Certificate Operation Status", phone.certificateStatus || "None")),
    el("form", { class: "form", onsubmit: (ev) => ev.preventDefault(), "aria-label": "Phone Configuration" },
       el("h2", {}, "Device Information"), row("Description", controls.get("description")),
       el("h2", {}, "Protocol Specific Information"),
       row("Device Security Profile", controls.get("securityProfileName")),
       el("h2", {}, "Certification Authority Proxy Function (CAPF) Information"),
       CAPF.map(([tag, label]) => row(label, controls.get(tag)))),
    extra);
}
