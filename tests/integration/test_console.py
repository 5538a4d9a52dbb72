"""The administration console at /ccmadmin/, in a headless Chromium against
the real server: each procedure of the admin guide's Phone Security Profile
chapter done through the pages (which speak only AXL), the read-only user's
pages, the security headers, the browser's log, accessibility (labels,
keyboard), and a screenshot of each page under build/console-screenshots/."""

import json
import os
import random
import subprocess
import sys

import pytest

from selenium.webdriver.common.keys import Keys

from browser import CHROMEDRIVER, CHROMIUM, Browser
from conftest import (ADMIN_PASSWORD, ADMIN_USER, BINARY, add_phone, add_profile, add_user,
                      get_profile, phone_of, sep_name)
from sipphone import SIPP, Sipp

pytestmark = pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                                reason="chromium and chromium-driver not installed")

RO_PASSWORD = "Read-0nly-Pass"


@pytest.fixture(scope="module")
def browser(server):
    b = Browser("https://localhost:%d" % server.tls_port)
    yield b
    b.quit()


@pytest.fixture
def admin(browser, server):
    """The browser signed in as the administrator, on a fresh page load (so
    that nothing of an earlier test is left in memory)."""
    browser.sign_in(server.user, server.password)
    browser.wait_heading("Find and List Phone Security Profiles")
    yield browser
    errors = browser.console_errors()
    assert errors == [], errors


def find_profiles(b, *criteria):
    """Find and List Phone Security Profiles with (parameter, pattern, text) criteria."""
    b.menu("System", "Security", "Phone Security Profile")
    b.wait_heading("Find and List Phone Security Profiles")
    b.click("Clear Filter")
    for i, (param, pattern, text) in enumerate(criteria, 1):
        if i > 1:
            b.click("Add search criterion")
        b.choose("Search parameter %d" % i, param)
        b.choose("Search pattern %d" % i, pattern)
        if text is not None:
            b.type("Search text %d" % i, text)
    b.click("Find")
    b.wait_for_text("found")
    return b.table_rows()


def names(rows, column=1):
    return [r[column] for r in rows]


# --------------------------------------------------------------------------
# serving
# --------------------------------------------------------------------------

def test_console_files_are_public_with_security_headers(axl_tls):
    for path, ctype in [("/ccmadmin/", "text/html; charset=utf-8"),
                        ("/ccmadmin/index.html", "text/html; charset=utf-8"),
                        ("/ccmadmin/app.js", "text/javascript; charset=utf-8"),
                        ("/ccmadmin/console.css", "text/css; charset=utf-8"),
                        ("/ccmadmin/favicon.svg", "image/svg+xml")]:
        r = axl_tls.raw("GET", path, auth=False)
        assert r.status == 200, (path, r.status)
        assert r.header("Content-Type") == ctype
        csp = r.header("Content-Security-Policy")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "style-src 'self'" in csp
        assert r.header("X-Content-Type-Options") == "nosniff"
        assert r.header("Referrer-Policy") == "no-referrer"
        assert r.header("X-Frame-Options") == "DENY"
        assert r.header("Cache-Control") == "no-cache"
        assert r.header("ETag").startswith('"')
        assert r.header("Access-Control-Allow-Origin") is None
    # Counted in the metrics under their own label.
    metrics = axl_tls.raw("GET", "/metrics").text
    assert 'axlprov_requests_total{operation="GET /ccmadmin/",outcome="ok"}' in metrics
    # No inline script or style in the page itself.
    page = axl_tls.raw("GET", "/ccmadmin/", auth=False).text
    assert "<script>" not in page and "<style" not in page and "style=" not in page


def test_console_revalidates_with_etag_and_refuses_unknown_files_and_posts(axl_tls):
    r = axl_tls.raw("GET", "/ccmadmin/app.js", auth=False)
    again = axl_tls.raw("GET", "/ccmadmin/app.js", auth=False,
                        headers={"If-None-Match": r.header("ETag")})
    assert again.status == 304 and again.body == b""
    assert axl_tls.raw("GET", "/ccmadmin/app.js", auth=False,
                       headers={"If-None-Match": '"other"'}).status == 200
    for path in ("/ccmadmin/nothing.js", "/ccmadmin/../axl/", "/ccmadmin/sub/app.js"):
        assert axl_tls.raw("GET", path, auth=False).status == 404, path
    assert axl_tls.raw("POST", "/ccmadmin/", body="x", auth=False).status == 405
    bare = axl_tls.raw("GET", "/ccmadmin", auth=False)
    assert bare.status == 301 and bare.header("Location") == "/ccmadmin/"
    assert axl_tls.raw("GET", "/ccmadminx", auth=False).status == 404


def test_axl_refuses_cross_origin_browser_requests(axl_tls):
    pre = axl_tls.raw("OPTIONS", "/axl/", auth=False, headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert pre.status != 200 and pre.header("Access-Control-Allow-Origin") is None
    r = axl_tls.call("listPhoneSecurityProfile",
                     "<searchCriteria><name>%</name></searchCriteria><returnedTags><name/></returnedTags>",
                     headers={"Origin": "https://evil.example"})
    assert r.status == 200 and r.header("Access-Control-Allow-Origin") is None
    assert r.header("Access-Control-Allow-Credentials") is None


def test_script_requests_get_401_without_a_password_prompt(axl_tls):
    bad = {"Authorization": axl_tls.auth_header(password="wrong")}
    plain = axl_tls.raw("GET", "/axl/", auth=False, headers=bad)
    assert plain.status == 401 and plain.header("WWW-Authenticate").startswith("Basic")
    script = axl_tls.raw("GET", "/axl/", auth=False,
                         headers=dict(bad, **{"X-Requested-With": "XMLHttpRequest"}))
    assert script.status == 401 and script.header("WWW-Authenticate") is None


def test_axl_page_names_the_callers_role(axl_tls):
    r = axl_tls.raw("GET", "/axl/")
    assert r.status == 200 and r.header("X-Axlprov-Role") == "full"


# --------------------------------------------------------------------------
# signing in
# --------------------------------------------------------------------------

def test_failed_sign_in_shows_the_consoles_message(browser, server):
    browser.sign_in(server.user, "not-the-password")
    browser.wait_for_text("Invalid user name or password.")
    # Still the sign-in page (a browser prompt would have blocked the page).
    assert browser.field("User Name").is_displayed()
    assert browser.driver.execute_script("return localStorage.length + sessionStorage.length") == 0
    browser.screenshot("sign-in-failed")
    # The failed request (401) is the browser log's only complaint.
    errors = browser.console_errors()
    assert all("401" in e["message"] for e in errors), errors


def test_sign_in_keeps_credentials_in_memory_only(admin, server):
    admin.screenshot("find-and-list-profiles-empty")
    store = admin.driver.execute_script(
        "return JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])")
    assert server.password not in store and json.loads(store) == [[], [], ""]
    # A reload forgets them: the sign-in page again.
    admin.driver.refresh()
    admin.field("User Name")


def test_idle_page_asks_to_sign_in_again(browser, server):
    browser.sign_in(server.user, server.password, path="/ccmadmin/?idle=3")
    browser.wait_heading("Find and List Phone Security Profiles")
    # A dialog left open goes too: nothing can be confirmed after sign-out.
    browser.sign_in(server.user, server.password, path="/ccmadmin/?idle=3#/profile?name="
                    "Cisco+8845+-+Standard+SIP+Non-Secure+Profile")
    browser.click("Apply Config")
    browser.one("//dialog[@open]", "the Apply Configuration Information dialog")
    browser.wait_for_text("You were idle too long: sign in again.", timeout=8)
    assert browser.field("Password").get_attribute("value") == ""
    assert browser.visible("//dialog") == []
    assert browser.console_errors() == []


# --------------------------------------------------------------------------
# Find Phone Security Profile
# --------------------------------------------------------------------------

def test_find_with_two_criteria_paging_and_reverse_sort(admin, axl, unique):
    for i in range(12):
        add_profile(axl, "%s-%02d" % (unique, i), description="find test",
                    deviceSecurityMode="Authenticated" if i in (3, 7) else None)
    rows = find_profiles(admin, ("Name", "begins with", unique),
                         ("Device Security Mode", "is exactly", "Authenticated"))
    assert names(rows) == ["%s-03" % unique, "%s-07" % unique]
    admin.screenshot("find-and-list-profiles")
    # Reverse sort: the list header's arrow.
    admin.click("Name, sorted ascending: reverse the sort order")
    admin.wait(lambda: names(admin.table_rows()) == ["%s-07" % unique, "%s-03" % unique],
               what="reverse order")
    admin.click("Name, sorted descending: reverse the sort order")
    # − removes the last criterion; paging with Rows per Page.
    admin.click("Remove last search criterion")
    admin.click("Find")
    admin.wait_for_text("12 Phone Security Profiles found")
    admin.choose("Rows per Page", "10")
    admin.wait(lambda: len(admin.table_rows()) == 10, what="10 rows")
    assert "Page 1 of 2" in admin.text()
    admin.click("Next")
    admin.wait(lambda: names(admin.table_rows()) == ["%s-10" % unique, "%s-11" % unique],
               what="page 2")
    admin.click("Previous")
    admin.wait(lambda: len(admin.table_rows()) == 10, what="page 1 again")
    # Other patterns: contains, ends with, is not empty.
    assert names(find_profiles(admin, ("Name", "contains", unique + "-1"))) == \
        ["%s-10" % unique, "%s-11" % unique]
    assert names(find_profiles(admin, ("Name", "ends with", unique + "-05"))) == ["%s-05" % unique]
    assert len(find_profiles(admin, ("Name", "begins with", unique),
                             ("Description", "is not empty", None))) == 10
    # Each row links to its configuration page.
    find_profiles(admin, ("Name", "is exactly", unique + "-07"))
    admin.link(unique + "-07").click()
    admin.wait_heading("Phone Security Profile Configuration")
    assert admin.field("Name").get_attribute("value") == unique + "-07"
    assert admin.selected("Device Security Mode") == "Authenticated"


# --------------------------------------------------------------------------
# Set Up Phone Security Profile: Add New, Copy, Save
# --------------------------------------------------------------------------

SIP_ONLY = ["Nonce Validity Time", "Transport Type", "Enable Digest Authentication",
            "Exclude Digest Credentials in Configuration File", "SIP Phone Port"]
CISCO_ONLY = ["TFTP Encrypted Config", "Authentication Mode", "Key Order", "Key Size (Bits)",
              "EC Key Size (Bits)"]


def add_new(b, phone_type, protocol):
    b.menu("System", "Security", "Phone Security Profile")
    b.click("Add New")
    b.choose("Phone Security Profile Type", phone_type)
    b.choose("Protocol", protocol)
    b.screenshot("add-new-choose-type")
    b.click("Next")
    b.wait(lambda: b.visible("//dt[normalize-space(.)='Device Protocol']/following-sibling::dd[1]"
                             "[normalize-space(.)='%s']" % protocol), what="the new profile's form")


def test_add_new_for_a_model_shows_only_its_fields_and_saves(admin, axl, unique):
    add_new(admin, "Cisco 7942", "SCCP")
    shown = admin.fields_labelled()
    assert shown[:3] == ["Name", "Description", "Device Security Mode"]
    assert all(f in shown for f in CISCO_ONLY) and not any(f in shown for f in SIP_ONLY), shown
    admin.screenshot("add-new-sccp")
    assert (admin.field("Name").get_attribute("maxlength"),
            admin.field("Description").get_attribute("maxlength")) == ("100", "50")
    admin.type("Name", unique + "-sccp")
    admin.type("Description", "made in the console")
    admin.choose("Key Size (Bits)", "3072")
    admin.click("Save")
    admin.wait_for_text("Add successful")
    r = get_profile(axl, unique + "-sccp")
    got = {c.tag: c.text or "" for c in r.ret()[0]}
    assert (got["phoneType"], got["protocol"], got["keySize"], got["description"]) == \
        ("Cisco 7942", "SCCP", "3072", "made in the console")

    add_new(admin, "Cisco 8845", "SIP")
    shown = admin.fields_labelled()
    assert all(f in shown for f in SIP_ONLY + CISCO_ONLY), shown
    # Defaults from the type's predefined profile.
    assert admin.field("SIP Phone Port").get_attribute("value") == "5060"
    assert admin.selected("Transport Type") == "TCP+UDP"
    admin.screenshot("add-new-sip")

    add_new(admin, "Third-party SIP Device (Basic)", "SIP")
    shown = admin.fields_labelled()
    assert "Transport Type" in shown and not any(f in shown for f in CISCO_ONLY), shown


def test_copy_opens_the_copied_settings_and_saves_a_new_profile(admin, axl, unique):
    add_profile(axl, unique + "-orig", description="original", deviceSecurityMode="Encrypted",
                keySize="4096", transportType="TLS")
    find_profiles(admin, ("Name", "begins with", unique))
    admin.click("Copy " + unique + "-orig")
    admin.wait(lambda: admin.field("Name").get_attribute("value") == "Copy of " + unique + "-orig",
               what="the copy")
    assert admin.selected("Device Security Mode") == "Encrypted"
    assert admin.selected("Key Size (Bits)") == "4096"
    admin.screenshot("copy")
    admin.type("Name", unique + "-copy")
    admin.click("Save")
    admin.wait_for_text("Add successful")
    a = {c.tag: c.text for c in get_profile(axl, unique + "-orig").ret()[0]}
    b = {c.tag: c.text for c in get_profile(axl, unique + "-copy").ret()[0]}
    assert {k: v for k, v in a.items() if k != "name"} == {k: v for k, v in b.items() if k != "name"}


def test_save_changes_and_faults_show_next_to_their_field(admin, axl, unique):
    add_profile(axl, unique + "-edit")
    find_profiles(admin, ("Name", "is exactly", unique + "-edit"))
    admin.link(unique + "-edit").click()
    admin.wait_heading("Phone Security Profile Configuration")
    admin.type("Description", "changed here")
    admin.choose("Device Security Mode", "Authenticated")
    admin.choose("Transport Type", "TLS")
    admin.click("Save")
    admin.wait_for_text("Update successful")
    got = {c.tag: c.text for c in get_profile(axl, unique + "-edit").ret()[0]}
    assert (got["description"], got["deviceSecurityMode"]) == ("changed here", "Authenticated")
    admin.screenshot("profile-configuration")
    # A refused value: the fault in words next to the field it names.
    admin.allow_fault_responses()
    admin.type("Nonce Validity Time", "0")
    admin.click("Save")
    field = admin.field("Nonce Validity Time")
    note = admin.driver.find_element("id", field.get_attribute("aria-describedby"))
    admin.wait(lambda: "nonceValidityTime" in note.text, what="the fault next to the field")
    assert admin.button("Save").is_displayed()
    admin.screenshot("profile-fault")
    assert {c.tag: c.text for c in get_profile(axl, unique + "-edit").ret()[0]}["nonceValidityTime"] == "600"


def test_configuration_page_copy_and_delete(admin, axl, unique):
    add_profile(axl, unique + "-page", description="from the page", sipPhonePort="5070")
    find_profiles(admin, ("Name", "is exactly", unique + "-page"))
    admin.link(unique + "-page").click()
    admin.wait_heading("Phone Security Profile Configuration")
    admin.click("Copy")
    admin.wait(lambda: admin.field("Name").get_attribute("value") == "Copy of " + unique + "-page",
               what="the copy")
    assert admin.field("SIP Phone Port").get_attribute("value") == "5070"
    admin.click("Save")
    admin.wait_for_text("Add successful")
    assert get_profile(axl, "Copy of " + unique + "-page").status == 200
    admin.click("Delete")
    admin.dialog_ok("Delete")
    admin.wait_heading("Find and List Phone Security Profiles")
    admin.wait_for_text("Delete successful")
    assert get_profile(axl, "Copy of " + unique + "-page").status == 500
    assert get_profile(axl, unique + "-page").status == 200


def test_predefined_profile_is_read_only_with_the_reason(admin):
    name = "Cisco 8845 - Standard SIP Non-Secure Profile"
    find_profiles(admin, ("Name", "is exactly", name))
    admin.link(name).click()
    admin.wait_for_text("This is a predefined profile: it cannot be changed or deleted.")
    assert not admin.field("Name").is_enabled() and not admin.field("Device Security Mode").is_enabled()
    assert admin.buttons("Save") == [] and admin.buttons("Delete") == []
    assert admin.buttons("Copy") != []
    admin.screenshot("profile-predefined")


# --------------------------------------------------------------------------
# Delete Phone Security Profile, Dependency Records
# --------------------------------------------------------------------------

def test_delete_selected_asks_first(admin, axl, unique):
    for s in ("a", "b", "c"):
        add_profile(axl, "%s-%s" % (unique, s))
    find_profiles(admin, ("Name", "begins with", unique))
    admin.click("Select All")
    boxes = admin.visible("//tbody//input[@type='checkbox']")
    assert len(boxes) == 3 and all(b.is_selected() for b in boxes)
    admin.click("Clear All")
    assert not any(b.is_selected() for b in admin.visible("//tbody//input[@type='checkbox']"))
    admin.field("Select %s-a" % unique).click()
    admin.field("Select %s-c" % unique).click()
    admin.click("Delete Selected")
    admin.one("//dialog[@open]", "the confirmation")
    admin.screenshot("delete-selected-confirm")
    admin.one("//dialog[@open]//button[normalize-space(.)='Cancel']", "Cancel").click()
    assert get_profile(axl, unique + "-a").status == 200
    admin.click("Delete Selected")
    admin.dialog_ok("Delete Selected")
    admin.wait_for_text("2 deleted.")
    assert names(admin.table_rows()) == [unique + "-b"]
    assert get_profile(axl, unique + "-a").status == 500
    assert get_profile(axl, unique + "-c").status == 500


def test_dependency_records_name_the_phone_and_a_profile_in_use_is_not_deleted(admin, axl, unique):
    add_profile(axl, unique + "-used")
    phone = sep_name()
    add_phone(axl, phone, securityProfileName=unique + "-used")
    find_profiles(admin, ("Name", "is exactly", unique + "-used"))
    admin.link(unique + "-used").click()
    admin.click("Dependency Records")
    admin.wait(lambda: admin.visible("//table//a[normalize-space(.)='%s']" % phone),
               what="the phone in the dependency records")
    admin.screenshot("dependency-records")
    find_profiles(admin, ("Name", "is exactly", unique + "-used"))
    admin.allow_fault_responses()
    admin.field("Select %s-used" % unique).click()
    admin.click("Delete Selected")
    admin.dialog_ok("Delete Selected")
    admin.wait_for_text("Not deleted: %s-used:" % unique)
    assert phone in admin.status()
    admin.screenshot("delete-in-use-refused")
    assert get_profile(axl, unique + "-used").status == 200


# --------------------------------------------------------------------------
# Apply Config (Synchronize Phone Security Profile with Phones)
# --------------------------------------------------------------------------

@pytest.mark.skipif(SIPP is None, reason="sipp (Debian sip-tester) not installed")
def test_apply_config_through_the_dialog_shows_delivery_to_a_sipp_phone(admin, axl, server, unique):
    add_profile(axl, unique + "-apply", enableDigestAuthentication="false")
    user = unique + "u"
    add_user(axl, user, digestCredentials="pw")
    phone = sep_name()
    add_phone(axl, phone, securityProfileName=unique + "-apply", digestUser=user)
    sipp = Sipp(server.sip_port, [(user, "pw")])
    try:
        sipp.wait_registered()
        find_profiles(admin, ("Name", "is exactly", unique + "-apply"))
        admin.link(unique + "-apply").click()
        admin.click("Apply Config")
        admin.one("//dialog[@open]", "the Apply Configuration Information dialog")
        admin.screenshot("apply-config-dialog")
        admin.dialog_ok("Apply Configuration Information")
        admin.wait_for_text("targeted: 1, delivered: 1, pending: 0", timeout=30)
        rows = admin.table_rows()
        assert [phone, "delivered"] == rows[-1][:2], rows
        # Confirmed stays empty: the phone took the NOTIFY but has not
        # registered anew (with a new Call-ID) since.
        assert len(rows[-1]) == 6 and rows[-1][5] == "", rows
        admin.screenshot("apply-config-delivery")
        assert sipp.wait() == 0, sipp.diagnostics()
        assert len(sipp.logged("NOTIFY received")) == 1
    finally:
        sipp.cleanup()


# --------------------------------------------------------------------------
# Apply Security Profiles to Phone; Find Phones with Phone Security Profiles
# --------------------------------------------------------------------------

def open_phone(b, profile, phone):
    b.menu("Device", "Phone")
    b.wait_heading("Find and List Phones")
    b.click("Clear Filter")
    b.choose("Search parameter 1", "Security Profile")
    b.choose("Search pattern 1", "is exactly")
    b.type("Search text 1", profile)
    b.click("Find")
    b.wait_for_text("found")
    assert [r[0] for r in b.table_rows()] == [phone]
    b.screenshot("find-and-list-phones")
    b.link(phone).click()
    b.wait_heading("Phone Configuration")


def test_phone_profile_changes_through_the_filtered_drop_down(admin, axl, unique):
    add_profile(axl, unique + "-A")
    add_profile(axl, unique + "-B")
    add_profile(axl, unique + "-other-model", phoneType="Cisco 7942")
    add_profile(axl, unique + "-other-protocol", phoneType="Cisco 7942", protocol="SCCP")
    phone = sep_name()
    add_phone(axl, phone, securityProfileName=unique + "-A")
    open_phone(admin, unique + "-A", phone)
    choices = admin.options("Device Security Profile")
    assert unique + "-A" in choices and unique + "-B" in choices
    assert "Cisco 8845 - Standard SIP Non-Secure Profile" in choices
    assert not any("7942" in c for c in choices), choices
    assert admin.selected("Device Security Profile") == unique + "-A"
    admin.screenshot("phone-configuration")
    admin.choose("Device Security Profile", unique + "-B")
    admin.click("Save")
    admin.wait_for_text("Update successful")
    assert phone_of(axl, phone).findtext("securityProfileName") == unique + "-B"
    # Apply Config for the phone: it is not registered, so unreachable.
    admin.click("Apply Config")
    admin.dialog_ok("Apply Configuration Information")
    admin.wait_for_text("targeted: 1, delivered: 0, pending: 0, failed: 0, unreachable: 1", timeout=30)


def test_capf_change_on_the_phone_creates_then_shares_a_profile(admin, axl, unique):
    # A nonce validity of this test's own: the server moves a phone to any
    # profile with the same settings, and other tests on this server may
    # have made one with the defaults and a 3072-bit key.
    add_profile(axl, unique + "-capf", nonceValidityTime=str(random.randint(1000, 86400)))
    first, second = sep_name(), sep_name()
    for p in (first, second):
        add_phone(axl, p, securityProfileName=unique + "-capf")
    notes = []
    for p in (first, second):
        admin.menu("Device", "Phone")
        admin.click("Clear Filter")
        admin.choose("Search parameter 1", "Device Name")
        admin.choose("Search pattern 1", "is exactly")
        admin.type("Search text 1", p)
        admin.click("Find")
        admin.link(p).click()
        admin.wait_heading("Phone Configuration")
        admin.choose("Certificate Operation", "Install/Upgrade")
        admin.choose("Key Size (Bits)", "3072")
        admin.click("Save")
        admin.wait_for_text("Update successful")
        notes.append(admin.status())
        if p == first:
            admin.screenshot("phone-capf-created")
    created = phone_of(axl, first).findtext("securityProfileName")
    assert created != unique + "-capf"
    assert notes[0] == "Update successful: created profile %s for the new CAPF settings" % created
    assert notes[1] == "Update successful: the phone moved to profile %s" % created
    assert phone_of(axl, second).findtext("securityProfileName") == created
    # The certificate status shows on the page.
    assert "Operation Pending" in admin.text()
    p = {c.tag: c.text for c in get_profile(axl, created).ret()[0]}
    assert p["keySize"] == "3072"


# --------------------------------------------------------------------------
# the read-only user
# --------------------------------------------------------------------------

def test_read_only_user_sees_the_pages_without_write_buttons(browser, axl, server, pg, unique):
    ro = "ro" + unique
    cp = subprocess.run([BINARY, "user", "add", ro, "--role", "read-only"], input=RO_PASSWORD + "\n",
                        text=True, capture_output=True, env=dict(server.env))
    assert cp.returncode == 0, cp.stderr
    add_profile(axl, unique + "-ro")
    phone = sep_name()
    add_phone(axl, phone, securityProfileName=unique + "-ro")
    browser.sign_in(ro, RO_PASSWORD)
    browser.wait_heading("Find and List Phone Security Profiles")
    assert browser.buttons("Add New") == []
    rows = find_profiles(browser, ("Name", "begins with", unique))
    assert names(rows, 0) == [unique + "-ro"]
    assert browser.buttons("Delete Selected") == [] and browser.buttons("Select All") == []
    assert browser.visible("//button[starts-with(normalize-space(.), 'Copy')]") == []
    browser.screenshot("read-only-find-and-list")
    browser.link(unique + "-ro").click()
    browser.wait_for_text("Your user has read-only access")
    for b in ("Save", "Delete", "Copy", "Apply Config", "Add New"):
        assert browser.buttons(b) == [], b
    assert not browser.field("Name").is_enabled()
    browser.click("Dependency Records")
    browser.link(phone)
    browser.screenshot("read-only-profile")
    browser.link(phone).click()
    browser.wait_heading("Phone Configuration")
    assert browser.buttons("Save") == [] and browser.buttons("Apply Config") == []
    assert not browser.field("Device Security Profile").is_enabled()
    assert browser.console_errors() == []


# --------------------------------------------------------------------------
# accessibility: labels, roles, the keyboard
# --------------------------------------------------------------------------

UNLABELLED = """
return Array.from(document.querySelectorAll('input, select, textarea')).filter(function (e) {
  if (e.offsetParent === null) return false;
  var byFor = e.id && document.querySelector('label[for="' + e.id + '"]');
  return !(byFor || e.getAttribute('aria-label') || e.closest('label'));
}).map(function (e) { return e.outerHTML; });
"""


def check_page(b, name):
    """Every visible control has a label; focus reaches every button and link."""
    assert b.driver.execute_script(UNLABELLED) == [], name
    wanted = [e.get_attribute("aria-label") or e.text.strip()
              for e in b.visible("//main//button | //main//a | //nav//button")
              if e.is_enabled()]
    reached = b.focus_reaches()
    missing = [w for w in wanted if w not in reached]
    assert missing == [], (name, missing, reached)
    roles = b.driver.execute_script(
        "return [document.querySelectorAll('main h1').length,"
        " document.querySelectorAll('nav[aria-label]').length,"
        " Array.from(document.querySelectorAll('main table')).every(t => t.querySelector('caption'))]")
    assert roles == [1, 1, True], (name, roles)


def test_pages_have_labels_and_keyboard_reaches_every_button(admin, axl, unique):
    add_profile(axl, unique + "-a11y")
    phone = sep_name()
    add_phone(axl, phone, securityProfileName=unique + "-a11y")
    find_profiles(admin, ("Name", "begins with", unique))
    check_page(admin, "find and list profiles")
    admin.link(unique + "-a11y").click()
    admin.wait_heading("Phone Security Profile Configuration")
    admin.click("Dependency Records")
    admin.link(phone)
    check_page(admin, "profile configuration")
    admin.click("Add New")
    admin.field("Phone Security Profile Type")
    check_page(admin, "add new")
    open_phone(admin, unique + "-a11y", phone)
    check_page(admin, "phone configuration")
    # The sign-in page, by keyboard alone: type, Tab, type, Enter.
    admin.click("Logout")
    user = admin.field("User Name")
    check_page(admin, "sign in")
    user = admin.field("User Name")
    user.click()
    assert admin.driver.switch_to.active_element == user
    user.send_keys(ADMIN_USER, Keys.TAB)
    admin.driver.switch_to.active_element.send_keys(ADMIN_PASSWORD, Keys.ENTER)
    admin.wait_heading("Phone Configuration")



def test_embedding_refuses_a_file_it_has_no_content_type_for(tmp_path):
    """tools/embed_console.py: a stray file in console/ stops the build
    instead of being served with a guessed type."""
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    src = tmp_path / "console"
    src.mkdir()
    (src / "index.html").write_text("<!DOCTYPE html>")
    out = tmp_path / "files.c"
    ok = subprocess.run([sys.executable, os.path.join(top, "tools", "embed_console.py"), str(src), str(out)],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and '"index.html", "text/html; charset=utf-8"' in out.read_text()
    (src / "notes.txt").write_text("x")
    bad = subprocess.run([sys.executable, os.path.join(top, "tools", "embed_console.py"), str(src),
                          str(tmp_path / "other.c")], capture_output=True, text=True)
    assert bad.returncode != 0 and "notes.txt" in bad.stderr
    assert not (tmp_path / "other.c").exists()
