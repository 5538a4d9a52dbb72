"""`axlprovd import FILE.csv`: bringing an existing fleet in, all or nothing.

Rows are name,product,protocol,security mode[,description]; devices that ran
a secure mode get a profile for their model, protocol and mode (created once,
"<model> - <protocol> <mode> Profile"), the others their model's standard
non-secure profile.  The results are read back through AXL."""

import subprocess
import uuid as uuidlib

from conftest import BINARY, fields_of, xml_escape


def sep():
    return "SEP" + uuidlib.uuid4().hex[:12].upper()


def run_import(server, path):
    return subprocess.run([BINARY, "import", str(path)], env=server.env,
                          capture_output=True, text=True, timeout=60)


def phone(axl, name):
    r = axl.call("getPhone", "<name>%s</name>" % name)
    assert r.status == 200, r.text
    return fields_of(r.ret()[0])


def test_import_assigns_and_creates_profiles(server, axl, tmp_path, unique):
    a, b, c = sep(), sep(), sep()
    csf = "CSF" + unique
    f = tmp_path / "fleet.csv"
    f.write_text("name,product,protocol,security mode,description\n"
                 "# a comment line\n"
                 "%s,Cisco 7962,SCCP,Authenticated,lobby\n"
                 "%s,Cisco 7962,SCCP,Authenticated,\"desk, \"\"A\"\"\"\n"
                 "%s,Cisco 8845,SIP,Non Secure\n"
                 "%s,Cisco Unified Client Services Framework,SIP,Encrypted,jabber\n" % (a, b, c, csf))
    r = run_import(server, f)
    assert r.returncode == 0, r.stderr
    assert "imported 4 phones" in r.stdout
    pa, pb, pc, pd = (phone(axl, n) for n in (a, b, c, csf))
    assert pa["securityProfileName"] == pb["securityProfileName"] == \
        "Cisco 7962 - SCCP Authenticated Profile"
    assert pb["description"] == 'desk, "A"'
    assert pc["securityProfileName"] == "Cisco 8845 - Standard SIP Non-Secure Profile"
    # Another test may already have made a profile for this model, protocol
    # and mode; import then reuses it, so check what the profile is, not its name.
    csf_prof = fields_of(axl.call("getPhoneSecurityProfile", "<name>%s</name>"
                                  % xml_escape(pd["securityProfileName"])).ret()[0])
    assert (csf_prof["phoneType"], csf_prof["protocol"], csf_prof["deviceSecurityMode"]) == \
        ("Cisco Unified Client Services Framework", "SIP", "Encrypted")
    # A soft client without a MIC ran Encrypted, so it holds an LSC.
    assert pd["certificateStatus"] == "Upgrade Success"
    prof = axl.call("getPhoneSecurityProfile",
                    "<name>Cisco 7962 - SCCP Authenticated Profile</name>")
    got = fields_of(prof.ret()[0])
    assert (got["deviceSecurityMode"], got["transportType"]) == ("Authenticated", "TLS")


def test_import_is_all_or_nothing(server, axl, tmp_path):
    good, bad = sep(), "not a device name"
    f = tmp_path / "bad.csv"
    f.write_text("%s,Cisco 8845,SIP,Non Secure\n%s,Cisco 8845,SIP,Non Secure\n" % (good, bad))
    r = run_import(server, f)
    assert r.returncode == 1
    assert "bad.csv:2:" in r.stderr and "nothing was imported" in r.stderr
    assert axl.call("getPhone", "<name>%s</name>" % good).status == 500


def test_import_rejects_rows_that_are_not_csv(server, tmp_path):
    for row in ('%s,"Cisco 8845,SIP,Non Secure\n',           # unterminated quote
                '%s,"Cisco 8845"x,SIP,Non Secure\n',         # text after a closing quote
                '%s,Cisco 8845,SIP,Non Secure,desk,extra\n'):  # more than 5 fields
        f = tmp_path / "x.csv"
        f.write_text(row % sep())
        r = run_import(server, f)
        assert r.returncode == 1 and ":1: not a CSV row of at most 5 fields" in r.stderr, \
            r.stderr


def test_import_rejects_unknown_mode_and_model(server, tmp_path):
    for row, word in (("%s,Cisco 8845,SIP,Paranoid\n", "deviceSecurityMode"),
                      ("%s,Cisco 9999,SIP,Non Secure\n", "product"),
                      ("%s,Cisco 8845,SIP\n", "expected name,product,protocol")):
        f = tmp_path / "x.csv"
        f.write_text(row % sep())
        r = run_import(server, f)
        assert r.returncode == 1 and word in r.stderr and ":1:" in r.stderr, r.stderr
