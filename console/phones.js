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

export async function configPage(ctx, q) {
  const name = q.get("name");
  const phone = await axl.get("Phone", name);
  const choices = await profilesFor(phone);
  const ro = !ctx.writable;
  const description = el("input", { type: "text", value: phone.description || "", disabled: ro });
  const profile = select(choices, phone.securityProfileName, { disabled: ro });
  const capf = new Map(CAPF.map(([tag, , opts]) => [tag, opts
    ? select(opts, phone[tag] || (tag === "certificateOperation" ? "No Pending Operation" : ""), { disabled: ro })
    : el("input", { type: "text", value: phone[tag] || "", disabled: ro })]));
  const labelled = [["description", "Description"], ["securityProfileName", "Device Security Profile"], ...CAPF];
  const controls = new Map([["description", description], ["securityProfileName", profile], ...capf]);
  const extra = el("div", { class: "extra" });

  async function save() {
    for (const e of document.querySelectorAll(".field-error")) e.textContent = "";
    const changed = [...controls].filter(([tag, c]) => c.value !== (phone[tag] || (tag === "certificateOperation" ? "No Pending Operation" : "")));
    if (changed.length === 0) { status("Nothing changed.", "info"); return; }
    // The schema: CAPF settings change only with a certificate operation.
    if (changed.some(([t]) => PROFILE_CAPF.includes(t) || t === "authenticationString") &&
        !changed.some(([t]) => t === "certificateOperation"))
      changed.push(["certificateOperation", capf.get("certificateOperation")]);
    try {
      await axl.call("updatePhone", axl.xml([["name", name], ...changed.map(([t, c]) => [t, c.value])]));
      const after = await axl.get("Phone", name);
      let note = "Update successful";
      if (after.securityProfileName !== phone.securityProfileName &&
          after.securityProfileName !== profile.value)
        note += choices.includes(after.securityProfileName)
          ? ": the phone moved to profile " + after.securityProfileName
          : ": created profile " + after.securityProfileName + " for the new CAPF settings";
      ctx.flash = note;
      ctx.route();
    } catch (e) {
      const tag = fieldOfFault(e.message, labelled);
      if (tag) document.getElementById(controls.get(tag).id + "-err").textContent = e.message;
      status(e.message, "error");
    }
  }

  page("Phone Configuration",
    el("div", { class: "buttons toolbar" },
       ctx.writable ? button("Save", save) : null,
       ctx.writable ? button("Apply Config", () => deliveryPanel(extra, "Phone", name)) : null,
       link("Back to Find/List", href("phones"))),
    !ctx.writable ? el("p", { class: "notice", role: "note" }, "Your user has read-only access: nothing here can be changed.") : null,
    el("dl", { class: "facts" }, el("dt", {}, "Device Name"), el("dd", {}, phone.name),
       el("dt", {}, "Device Type"), el("dd", {}, phone.model || phone.product),
       el("dt", {}, "Device Protocol"), el("dd", {}, phone.protocol),
       el("dt", {}, "Certificate Operation Status"), el("dd", {}, phone.certificateStatus || "None")),
    el("form", { class: "form", onsubmit: (ev) => ev.preventDefault(), "aria-label": "Phone Configuration" },
       el("h2", {}, "Device Information"), row("Description", description),
       el("h2", {}, "Protocol Specific Information"), row("Device Security Profile", profile),
       el("h2", {}, "Certification Authority Proxy Function (CAPF) Information"),
       CAPF.map(([tag, label]) => row(label, capf.get(tag)))),
    extra);
}
