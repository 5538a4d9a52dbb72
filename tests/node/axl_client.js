#!/usr/bin/env node
// tests/node/axl_client.js: drives the npm `cisco-axl` library (a real AXL
// client built on strong-soap and Cisco's own WSDL) for
// tests/integration/test_cisco_axl.py.
//
// It stays up and answers one JSON line on stdout per JSON line read on
// stdin, so one Node start serves a whole scenario:
//
//   in:  {"op": "getPhoneSecurityProfile", "tags": {...}, "opts": {...}}
//   out: {"ok": <what executeOperation resolved with>}
//    or: {"fault": {"faultcode", "faultstring", "axlcode", "axlmessage", "request"}}
//    or: {"error": "<any other rejection, as text>"}
//
// Settings come from the environment: AXL_URL (the server's AXL address),
// AXL_USER, AXL_PASSWORD, AXL_VERSION.  The test sets
// NODE_TLS_REJECT_UNAUTHORIZED=0 for its self-signed certificate.

"use strict";

const readline = require("readline");
const AxlService = require("cisco-axl");

function setting(name) {
  const v = process.env[name];
  if (!v) {
    process.stderr.write(`axl_client.js: ${name} is not set\n`);
    process.exit(2);
  }
  return v;
}

function service() {
  const s = new AxlService("127.0.0.1", setting("AXL_USER"), setting("AXL_PASSWORD"),
                           setting("AXL_VERSION"));
  // The library always builds https://HOST:8443/axl/; the test server
  // listens on a free port, so the one thing we change is that address.
  s._OPTIONS.endpoint = setting("AXL_URL");
  return s;
}

// A value of the parsed fault: strong-soap gives text either bare or as
// {$value}, depending on the element's type in the WSDL.
function text(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "object" && "$value" in v) return String(v.$value);
  if (typeof v === "object" && "value" in v) return String(v.value);
  return String(v);
}

// cisco-axl rejects with the Body's Fault object for a SOAP fault, and with
// anything else (an Error, a string) otherwise.
function outcome(rejection) {
  if (rejection && typeof rejection === "object" && "faultcode" in rejection) {
    const err = (rejection.detail && rejection.detail.axlError) || {};
    const code = text(err.axlcode);
    return {
      fault: {
        faultcode: text(rejection.faultcode),
        faultstring: text(rejection.faultstring),
        axlcode: code === null ? null : Number(code),
        axlmessage: text(err.axlmessage),
        request: text(err.request),
      },
    };
  }
  return { error: rejection instanceof Error ? rejection.message : String(rejection) };
}

async function answer(axl, line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    return { error: "bad request line: " + e.message };
  }
  try {
    return { ok: await axl.executeOperation(req.op, req.tags || {}, req.opts || {}) };
  } catch (rejection) {
    return outcome(rejection);
  }
}

async function main() {
  const axl = service();
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    process.stdout.write(JSON.stringify(await answer(axl, line)) + "\n");
  }
}

main().catch((e) => {
  process.stderr.write(`axl_client.js: ${e.stack || e}\n`);
  process.exit(1);
});
