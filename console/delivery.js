// delivery.js: Apply Config: the Apply Configuration Information dialog,
// then the apply request's delivery status per phone, refreshed as it
// changes (GET /axl/status/apply/<id>) until nothing is pending.  A phone
// is "confirmed" once it registered anew after its NOTIFY (it re-read its
// configuration or restarted).

import * as axl from "./axl.js";
import { el, status, confirmDialog } from "./ui.js";

const COUNTS = ["targeted", "delivered", "pending", "failed", "unreachable"];

function render(box, st) {
  box.replaceChildren(
    el("h2", { id: "delivery-title" }, "Delivery Status"),
    el("p", { role: "status" }, COUNTS.map((k) => k + ": " + st[k]).join(", ")),
    el("table", {}, el("caption", {}, "Phones targeted by " + st.targetName),
       el("thead", {}, el("tr", {}, ["Device Name", "State", "Attempts", "SIP Status", "Reason", "Confirmed"]
          .map((h) => el("th", { scope: "col" }, h)))),
       el("tbody", {}, st.phones.map((p) => el("tr", {}, el("td", {}, p.name), el("td", {}, p.state),
          el("td", {}, String(p.attempts)), el("td", {}, p.sipStatus === null ? "" : String(p.sipStatus)),
          el("td", {}, p.reason || ""), el("td", {}, p.confirmed ? p.confirmedAt : ""))))));
}

export async function deliveryPanel(where, kind, name) {
  const what = kind === "Phone" ? "the phone " + name : "every phone that uses " + name;
  const ok = await confirmDialog("Apply Configuration Information",
    "Apply Config sends the saved configuration to " + what + "; phones that are registered " +
    "download it and may restart. Click OK to continue.");
  if (!ok) return;
  let id;
  try { id = await axl.apply(kind, name); } catch (e) { status(e.message, "error"); return; }
  status("Apply Config requested.", "info");
  const box = el("section", { class: "delivery", "aria-labelledby": "delivery-title" });
  where.replaceChildren(box);
  for (let i = 0; i < 120 && box.isConnected; i++) {
    try {
      const st = await axl.applyStatus(id);
      render(box, st);
      if (st.pending === 0) return;
    } catch (e) { status(e.message, "error"); return; }
    await new Promise((r) => setTimeout(r, 1000));
  }
}
