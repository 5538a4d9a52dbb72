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

// What a criterion asks of a value.
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

// The LIKE pattern that selects a superset of it on the server.
function like(pattern, text) {
  return { "begins with": text + "%", "contains": "%" + text + "%", "ends with": "%" + text,
           "is exactly": text, "is empty": "", "is not empty": "_%" }[pattern];
}

const saved = new Map();   // per list: the last query, shown again on return

// cfg: { key, noun, params: [[field, label, AXL search element or null]],
//        columns: [[field, label]], load(criteria) -> rows, href(row),
//        extra(row) -> node (a Copy button), canDelete(row), remove(row), writable }
class FindList {
  constructor(cfg) {
    this.cfg = cfg;
    this.state = saved.get(cfg.key) || { criteria: [this.blank()], rows: null, perPage: "50",
                                         pageNo: 0, desc: false };
    saved.set(cfg.key, this.state);
    this.crit = el("div", { class: "criteria", role: "group", "aria-label": "Search criteria" });
    this.results = el("div", { class: "results" });
    this.deletes = Boolean(cfg.writable && cfg.remove);
  }

  blank() { return [this.cfg.params[0][0], "begins with", ""]; }

  criterionRow(c, i) {
    const n = i + 1;
    const p = select(this.cfg.params.map(([f, l]) => [f, l]), c[0], { "aria-label": "Search parameter " + n });
    const pat = select(PATTERNS, c[1], { "aria-label": "Search pattern " + n });
    const t = el("input", { type: "search", value: c[2], "aria-label": "Search text " + n });
    const sync = () => { c[0] = p.value; c[1] = pat.value; c[2] = t.value; t.disabled = !NEEDS_TEXT.has(c[1]); };
    for (const x of [p, pat, t]) x.addEventListener("change", sync);
    t.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { sync(); this.find(); } });
    t.disabled = !NEEDS_TEXT.has(c[1]);
    return el("div", { class: "criterion" }, p, pat, t);
  }

  drawCriteria() {
    const s = this.state;
    this.crit.replaceChildren(...s.criteria.map((c, i) => this.criterionRow(c, i)), el("div", { class: "buttons" },
      button("Find", () => this.find()),
      button("+", () => { s.criteria.push(this.blank()); this.drawCriteria(); },
             { "aria-label": "Add search criterion", title: "Add search criterion" }),
      button("\u2212", () => { if (s.criteria.length > 1) s.criteria.pop(); this.drawCriteria(); },
             { "aria-label": "Remove last search criterion", title: "Remove last search criterion" }),
      button("Clear Filter", () => { s.criteria = [this.blank()]; this.drawCriteria(); })));
  }

  // The server's criteria: the first of each field it can search.
  serverCriteria() {
    const server = {};
    for (const [f, pat, text] of this.state.criteria) {
      const side = this.cfg.params.find((p) => p[0] === f)[2];
      if (side && !(side in server)) server[side] = like(pat, text);
    }
    if (Object.keys(server).length === 0) server[this.cfg.params[0][2]] = "%";
    return server;
  }

  async find() {
    const s = this.state;
    status("");
    s.rows = null;   // the old results go at once: nothing stale to act on
    this.draw();
    try {
      const rows = await this.cfg.load(this.serverCriteria());
      s.rows = rows.filter((r) => s.criteria.every(([f, pat, text]) => matches(r[f], pat, text)));
      s.pageNo = 0;
      this.draw();
    } catch (e) { status(e.message, "error"); }
  }

  // The rows of the page shown, and how many pages there are.
  pageRows() {
    const s = this.state;
    const key = this.cfg.columns[0][0];
    const rows = s.rows.slice().sort((a, b) => (a[key] || "").localeCompare(b[key] || ""));
    if (s.desc) rows.reverse();
    const per = Number(s.perPage);
    const pages = Math.max(1, Math.ceil(rows.length / per));
    s.pageNo = Math.min(s.pageNo, pages - 1);
    return [rows.slice(s.pageNo * per, s.pageNo * per + per), pages];
  }

  header() {
    const s = this.state;
    const th = (t) => el("th", { scope: "col" }, t);
    return el("thead", {}, el("tr", {}, this.deletes ? th("Select") : null,
      this.cfg.columns.map(([, label], i) => th(i > 0 ? label
        : button(label + (s.desc ? " \u25bc" : " \u25b2"), () => { s.desc = !s.desc; this.draw(); },
                 { "aria-label": label + (s.desc ? ", sorted descending" : ", sorted ascending") +
                   ": reverse the sort order" }))),
      this.cfg.extra ? th("Copy") : null));
  }

  body(shown, boxes) {
    const cfg = this.cfg;
    const key = cfg.columns[0][0];
    return el("tbody", {}, shown.map((r) => {
      const cb = el("input", { type: "checkbox", "aria-label": "Select " + r[key], disabled: !cfg.canDelete(r) });
      if (cfg.canDelete(r)) boxes.push([cb, r]);
      return el("tr", {}, this.deletes ? el("td", {}, cb) : null,
                cfg.columns.map(([f], i) => el("td", {}, i === 0 ? el("a", { href: cfg.href(r) }, r[f]) : r[f] || "")),
                cfg.extra ? el("td", {}, cfg.extra(r)) : null);
    }));
  }

  paging(pages) {
    const s = this.state;
    const perPage = select(ROWS, s.perPage, { id: uid("rpp") });
    perPage.addEventListener("change", () => { s.perPage = perPage.value; s.pageNo = 0; this.draw(); });
    return el("div", { class: "paging" },
      button("Previous", () => { s.pageNo -= 1; this.draw(); }, { disabled: s.pageNo === 0 }),
      el("span", {}, "Page " + (s.pageNo + 1) + " of " + pages),
      button("Next", () => { s.pageNo += 1; this.draw(); }, { disabled: s.pageNo >= pages - 1 }),
      el("label", { for: perPage.id }, "Rows per Page"), perPage);
  }

  draw() {
    const s = this.state;
    if (s.rows === null) { this.results.replaceChildren(); return; }
    const [shown, pages] = this.pageRows();
    const boxes = [];
    const noun = this.cfg.noun;
    const tools = this.deletes ? el("div", { class: "buttons" },
      button("Select All", () => boxes.forEach(([b]) => { b.checked = true; })),
      button("Clear All", () => boxes.forEach(([b]) => { b.checked = false; })),
      button("Delete Selected", () => this.removeSelected(boxes))) : null;
    this.results.replaceChildren(
      el("p", { role: "status" }, s.rows.length + " " + noun + (s.rows.length === 1 ? "" : "s") + " found"),
      tools || "",
      el("table", {}, el("caption", {}, noun + "s, page " + (s.pageNo + 1) + " of " + pages),
         this.header(), this.body(shown, boxes)),
      this.paging(pages));
  }

  async removeSelected(boxes) {
    const cfg = this.cfg;
    const chosen = boxes.filter(([b]) => b.checked).map(([, r]) => r);
    if (chosen.length === 0) { status("Select the items to delete first.", "error"); return; }
    const ok = await confirmDialog("Delete Selected", "You are about to permanently delete " + chosen.length +
      " " + cfg.noun.toLowerCase() + (chosen.length === 1 ? "" : "s") +
      ". This action cannot be undone. Click OK to delete, Cancel to keep them.");
    if (!ok) return;
    const failed = [];
    for (const r of chosen) {
      try { await cfg.remove(r); } catch (e) { failed.push(r[cfg.columns[0][0]] + ": " + e.message); }
    }
    await this.find();
    if (failed.length) status("Not deleted: " + failed.join("; "), "error");
    else status(chosen.length + " deleted.", "info");
  }

  element() {
    this.drawCriteria();
    this.draw();
    return el("div", {}, el("section", { "aria-label": "Search" }, this.crit), this.results);
  }
}

export function findList(cfg) {
  return new FindList(cfg).element();
}
