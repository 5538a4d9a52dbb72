// findlist.js: the Find and List window shared by profiles and phones:
// search criteria rows (parameter, pattern, text) with + and −, Find,
// Clear Filter, Rows per Page, paging, reverse sort, and check boxes with
// Select All, Clear All and Delete Selected behind a confirmation.
// The server filters what AXL can search (LIKE on name, description, ...);
// every criterion is also applied here, so all of them must match.

import { el, button, select, status, confirmDialog, uid } from "./ui.js";

export const PATTERNS = ["begins with", "contains", "ends with", "is exactly", "is empty",
                         "is not empty"];
const NEEDS_TEXT = new Set(["begins with", "contains", "ends with", "is exactly"]);
const ROWS = ["10", "25", "50", "100"];

// What a criterion asks of a value, and the LIKE pattern that selects a
// superset of it on the server.
export function matches(value, pattern, text) {
  value = value || "";
  switch (pattern) {
    case "begins with": return value.startsWith(text);
    case "contains": return value.includes(text);
    case "ends with": return value.endsWith(text);
    case "is exactly": return value === text;
    case "is empty": return value === "";
    default: return value !== "";
  }
}

function like(pattern, text) {
  return { "begins with": text + "%", "contains": "%" + text + "%", "ends with": "%" + text,
           "is exactly": text, "is empty": "", "is not empty": "_%" }[pattern];
}

const saved = new Map();   // per list: the last query, shown again on return

// cfg: { key, noun, params: [[field, label, serverSide]], columns: [[field, label]],
//        load(criteria) -> rows, href(row), extra(row) -> node, canDelete(row),
//        remove(row) -> Promise, writable }
export function findList(cfg) {
  const state = saved.get(cfg.key) || { criteria: [[cfg.params[0][0], "begins with", ""]],
                                        rows: null, perPage: "50", pageNo: 0, desc: false };
  saved.set(cfg.key, state);
  const crit = el("div", { class: "criteria", role: "group", "aria-label": "Search criteria" });
  const results = el("div", { class: "results" });

  function critRow(c, i) {
    const n = i + 1;
    const p = select(cfg.params.map(([f, l]) => [f, l]), c[0], { "aria-label": "Search parameter " + n });
    const pat = select(PATTERNS, c[1], { "aria-label": "Search pattern " + n });
    const t = el("input", { type: "search", value: c[2], "aria-label": "Search text " + n });
    const sync = () => { c[0] = p.value; c[1] = pat.value; c[2] = t.value;
                         t.disabled = !NEEDS_TEXT.has(pat.value); };
    for (const x of [p, pat, t]) x.addEventListener("change", sync);
    t.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { sync(); find(); } });
    t.disabled = !NEEDS_TEXT.has(c[1]);
    return el("div", { class: "criterion" }, p, pat, t);
  }
  function drawCriteria() {
    crit.replaceChildren(...state.criteria.map(critRow), el("div", { class: "buttons" },
      button("Find", find),
      button("+", () => { state.criteria.push([cfg.params[0][0], "begins with", ""]); drawCriteria(); },
             { "aria-label": "Add search criterion", title: "Add search criterion" }),
      button("\u2212", () => { if (state.criteria.length > 1) state.criteria.pop(); drawCriteria(); },
             { "aria-label": "Remove last search criterion", title: "Remove last search criterion" }),
      button("Clear Filter", () => {
        state.criteria = [[cfg.params[0][0], "begins with", ""]]; drawCriteria(); })));
  }

  async function find() {
    status("");
    state.rows = null;   // the old results go at once: nothing stale to act on
    draw();
    const server = {};
    for (const [f, pat, text] of state.criteria) {
      const side = cfg.params.find((p) => p[0] === f)[2];
      if (side && !(side in server)) server[side] = like(pat, text);
    }
    if (Object.keys(server).length === 0) server[cfg.params[0][2]] = "%";
    try {
      const rows = await cfg.load(server);
      state.rows = rows.filter((r) => state.criteria.every(([f, pat, text]) => matches(r[f], pat, text)));
      state.pageNo = 0;
      draw();
    } catch (e) { status(e.message, "error"); }
  }

  function draw() {
    if (state.rows === null) { results.replaceChildren(); return; }
    const key = cfg.columns[0][0];
    const rows = state.rows.slice().sort((a, b) => (a[key] || "").localeCompare(b[key] || ""));
    if (state.desc) rows.reverse();
    const per = Number(state.perPage);
    const pages = Math.max(1, Math.ceil(rows.length / per));
    state.pageNo = Math.min(state.pageNo, pages - 1);
    const shown = rows.slice(state.pageNo * per, state.pageNo * per + per);
    const boxes = [];
    const head = cfg.columns.map(([, label], i) => el("th", { scope: "col" }, i === 0
      ? button(label + (state.desc ? " \u25bc" : " \u25b2"), () => { state.desc = !state.desc; draw(); },
               { "aria-label": label + (state.desc ? ", sorted descending" : ", sorted ascending") +
                 ": reverse the sort order" })
      : label));
    const body = shown.map((r) => {
      const cb = el("input", { type: "checkbox", "aria-label": "Select " + r[key],
                               disabled: !cfg.canDelete(r) });
      if (cfg.canDelete(r)) boxes.push([cb, r]);
      return el("tr", {}, cfg.writable && cfg.remove ? el("td", {}, cb) : null,
                cfg.columns.map(([f], i) => el("td", {}, i === 0 ? el("a", { href: cfg.href(r) }, r[f])
                                                             : r[f] || "")),
                cfg.extra ? el("td", {}, cfg.extra(r)) : null);
    });
    const perPage = select(ROWS, state.perPage, { id: uid("rpp") });
    perPage.addEventListener("change", () => { state.perPage = perPage.value; state.pageNo = 0; draw(); });
    const del = cfg.writable && cfg.remove;
    const tools = el("div", { class: "buttons" },
      del ? button("Select All", () => boxes.forEach(([b]) => { b.checked = true; })) : null,
      del ? button("Clear All", () => boxes.forEach(([b]) => { b.checked = false; })) : null,
      del ? button("Delete Selected", () => removeSelected(boxes)) : null);
    results.replaceChildren(
      el("p", { role: "status" }, rows.length + " " + cfg.noun + (rows.length === 1 ? "" : "s") + " found"),
      tools,
      el("table", {}, el("caption", {}, cfg.noun + "s, page " + (state.pageNo + 1) + " of " + pages),
         el("thead", {}, el("tr", {}, del ? el("th", { scope: "col" }, "Select") : null, head,
                            cfg.extra ? el("th", { scope: "col" }, "Copy") : null)),
         el("tbody", {}, body)),
      el("div", { class: "paging" },
         button("Previous", () => { state.pageNo -= 1; draw(); }, { disabled: state.pageNo === 0 }),
         el("span", {}, "Page " + (state.pageNo + 1) + " of " + pages),
         button("Next", () => { state.pageNo += 1; draw(); }, { disabled: state.pageNo >= pages - 1 }),
         el("label", { for: perPage.id }, "Rows per Page"), perPage));
  }

  async function removeSelected(boxes) {
    const chosen = boxes.filter(([b]) => b.checked).map(([, r]) => r);
    if (chosen.length === 0) { status("Select the items to delete first.", "error"); return; }
    const ok = await confirmDialog("Delete Selected", "You are about to permanently delete " +
      chosen.length + " " + cfg.noun.toLowerCase() + (chosen.length === 1 ? "" : "s") +
      ". This action cannot be undone. Click OK to delete, Cancel to keep them.");
    if (!ok) return;
    const failed = [];
    for (const r of chosen) {
      try { await cfg.remove(r); } catch (e) { failed.push(r[cfg.columns[0][0]] + ": " + e.message); }
    }
    await find();
    if (failed.length) status("Not deleted: " + failed.join("; "), "error");
    else status(chosen.length + " deleted.", "info");
  }

  drawCriteria();
  draw();
  return el("div", {}, el("section", { "aria-label": "Search" }, crit), results, );
}
