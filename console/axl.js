// axl.js: the console's only way to the server: AXL SOAP requests to /axl/
// (and the apply status GET) with the signed-in administrator's Basic
// credentials, held in this module's memory only (never in Web Storage).

const VERSION = "14.0";
const NS = "http://www.cisco.com/AXL/API/" + VERSION;
let authorization = null;

export class AxlError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;   // HTTP status
    this.code = code;       // axlcode, or null
  }
}

export function signedIn() { return authorization !== null; }
export function signOut() { authorization = null; }

// X-Requested-With: the server then answers a bad password with a 401 that
// has no WWW-Authenticate, so the browser never shows its own prompt.
function headers(extra) {
  return Object.assign({ "Authorization": authorization, "X-Requested-With": "XMLHttpRequest" },
                       extra || {});
}

// Signs in: GET /axl/ with the credentials; resolves to the user's role
// (the server names it in X-Axlprov-Role), or throws AxlError.
export async function signIn(user, password) {
  const bytes = new TextEncoder().encode(user + ":" + password);
  const candidate = "Basic " + btoa(String.fromCharCode(...bytes));
  const r = await fetch("/axl/", { headers: { "Authorization": candidate,
                                              "X-Requested-With": "XMLHttpRequest" },
                                   cache: "no-store", credentials: "omit" });
  if (r.status !== 200)
    throw new AxlError(r.status === 401 ? "Invalid user name or password."
                       : "The server refused the sign-in (HTTP " + r.status + ").", r.status, null);
  authorization = candidate;
  return r.headers.get("X-Axlprov-Role") || "full";
}

export function esc(text) {
  return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
                     .replace(/"/g, "&quot;");
}

// <tag>value</tag> for each [tag, value] with a value that is not null.
export function xml(pairs) {
  return pairs.filter(([, v]) => v !== null && v !== undefined)
              .map(([k, v]) => typeof v === "object" ? "<" + k + ">" + xml(Object.entries(v)) + "</" + k + ">"
                                                     : "<" + k + ">" + esc(v) + "</" + k + ">").join("");
}

function faultOf(doc, status) {
  const text = (sel) => { const n = doc.getElementsByTagName(sel)[0]; return n ? n.textContent : null; };
  const code = text("axlcode");
  return new AxlError(text("axlmessage") || text("faultstring") || "HTTP " + status, status,
                      code === null ? null : Number(code));
}

// One AXL request; resolves to { doc, headers } or throws AxlError.
export async function call(op, inner) {
  if (authorization === null)
    throw new AxlError("Not signed in.", 401, null);
  const body = '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv=' +
    '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="' + NS + '"><soapenv:Body><ns:' + op +
    ">" + inner + "</ns:" + op + "></soapenv:Body></soapenv:Envelope>";
  const r = await fetch("/axl/", { method: "POST", body, cache: "no-store", credentials: "omit",
    headers: headers({ "Content-Type": "text/xml; charset=utf-8",
                       "SOAPAction": '"CUCM:DB ver=' + VERSION + " " + op + '"' }) });
  const text = await r.text();
  const doc = new DOMParser().parseFromString(text, "text/xml");
  if (r.status === 401)
    throw new AxlError(/read-only/.test(text) ? "This user has read-only access."
                       : "Your sign-in is no longer valid.", 401, null);
  if (r.status !== 200)
    throw doc.getElementsByTagName("faultstring").length ? faultOf(doc, r.status)
          : new AxlError(text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim(), r.status, null);
  return { doc, headers: r.headers };
}

// The children of an element as { tag: text }.
export function fields(elem) {
  const out = {};
  for (const c of elem.children) out[c.localName] = c.textContent;
  return out;
}

// list<kind> with searchCriteria and returnedTags: rows as { tag: text }.
export async function list(kind, criteria, tags) {
  const inner = xml([["searchCriteria", criteria]]) +
                "<returnedTags>" + tags.map((t) => "<" + t + "/>").join("") + "</returnedTags>";
  const { doc } = await call("list" + kind, inner);
  const ret = doc.getElementsByTagName("return")[0];
  return ret ? Array.from(ret.children).map(fields) : [];
}

export async function get(kind, name) {
  const { doc } = await call("get" + kind, xml([["name", name]]));
  const ret = doc.getElementsByTagName("return")[0];
  return fields(ret.firstElementChild);
}

// The delivery status of an apply request (GET /axl/status/apply/<id>).
export async function applyStatus(id) {
  const r = await fetch("/axl/status/apply/" + encodeURIComponent(id),
                        { headers: headers(), cache: "no-store", credentials: "omit" });
  if (r.status !== 200)
    throw new AxlError("No delivery status (HTTP " + r.status + ").", r.status, null);
  return r.json();
}

// apply<kind>: resolves to the apply request's id (X-Axlprov-Apply-Request).
export async function apply(kind, name) {
  const { headers: h } = await call("apply" + kind, xml([["name", name]]));
  return h.get("X-Axlprov-Apply-Request");
}
