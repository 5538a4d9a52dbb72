"""The administration console at /ccmadmin/, in a headless Chromium against
the real server: each procedure of the admin guide's Phone Security Profile
chapter done through the pages (which speak only AXL), the read-only user's
pages, the security headers, the browser's log, accessibility (labels,
keyboard), and a screenshot of each page under build/console-screenshots/."""

import json
import subprocess
import time

import pytest

from browser import CHROMEDRIVER, CHROMIUM, Browser
from conftest import (BINARY, add_phone, add_profile, add_user, get_profile, phone_of, profile_xml,
                      sep_name)
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
    browser.sign_in(server.user, server.password, path="/ccmadmin/?idle=2")
    browser.wait_heading("Find and List Phone Security Profiles")
    browser.wait_for_text("You were idle too long: sign in again.", timeout=8)
    assert browser.field("Password").get_attribute("value") == ""
    assert browser.console_errors() == []
