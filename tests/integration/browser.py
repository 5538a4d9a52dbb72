"""A headless Chromium for the console's tests (Debian's chromium,
chromium-driver and python3-selenium), with helpers that find things the
way an administrator does: by visible text and by label, never by id or
class.  One Browser per test module keeps the suite's time modest."""

import os
import shutil
import time

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHOTS = os.path.join(TOP, "build", "console-screenshots")
CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


def lit(text):
    """An XPath string literal for any text."""
    if "'" not in text:
        return "'%s'" % text
    return "concat('%s')" % "', \"'\", '".join(text.split("'"))


class Browser:
    def __init__(self, base_url):
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                  "--window-size=1280,900", "--disable-extensions", "--no-first-run",
                  "--password-store=basic"):
            opts.add_argument(a)
        # The test server's certificate is self-signed.
        opts.accept_insecure_certs = True
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        self.driver.implicitly_wait(0)
        self.base = base_url
        self.allowed = []
        os.makedirs(SHOTS, exist_ok=True)

    def quit(self):
        self.driver.quit()

    # --- waiting ----------------------------------------------------------
    def wait(self, cond, timeout=10, what="condition"):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                                 ignored_exceptions=(NoSuchElementException,
                                                     StaleElementReferenceException)).until(
                lambda d: cond())
        except TimeoutException:
            raise AssertionError("timed out waiting for %s; page text:\n%s" % (what, self.text()))

    def visible(self, xpath):
        return [e for e in self.driver.find_elements(By.XPATH, xpath) if e.is_displayed()]

    def one(self, xpath, what, timeout=10):
        return self.wait(lambda: (self.visible(xpath) or [None])[0], timeout, what)

    def text(self):
        try:
            return self.driver.find_element(By.TAG_NAME, "body").text
        except Exception:   # noqa: BLE001 - only for a failure message
            return ""

    # --- finding by what the user sees --------------------------------------
    def button(self, text, timeout=10):
        return self.one("//button[normalize-space(.)=%s or @aria-label=%s]" % (lit(text), lit(text)),
                        "button %r" % text, timeout)

    def buttons(self, text):
        return self.visible("//button[normalize-space(.)=%s]" % lit(text))

    def link(self, text, timeout=10):
        return self.one("//a[normalize-space(.)=%s]" % lit(text), "link %r" % text, timeout)

    def field(self, label, timeout=10):
        """The control a <label> names, or the one whose aria-label is label."""
        def find():
            for lab in self.visible("//label[normalize-space(.)=%s]" % lit(label)):
                target = lab.get_attribute("for")
                if target:
                    c = self.driver.find_elements(By.XPATH, "//*[@id=%s]" % lit(target))
                    if c:
                        return c[0]
            v = self.visible("//*[@aria-label=%s]" % lit(label))
            return v[0] if v else None
        return self.wait(find, timeout, "field labelled %r" % label)

    def fields_labelled(self):
        return [e.text.strip() for e in self.visible("//form//label")]

    def heading(self):
        return self.one("//h1", "the page title").text

    def wait_heading(self, title, timeout=10):
        self.wait(lambda: self.heading() == title, timeout, "page %r" % title)

    def wait_for_text(self, text, timeout=10):
        self.wait(lambda: text in self.text(), timeout, "text %r" % text)

    def status(self):
        return self.driver.find_element(By.XPATH, "//*[@role='status' and @aria-live]").text

    # --- doing ------------------------------------------------------------
    def click(self, text, timeout=10):
        self.button(text, timeout).click()

    def type(self, label, value):
        f = self.field(label)
        f.clear()
        f.send_keys(value)

    def choose(self, label, option):
        Select(self.field(label)).select_by_visible_text(option)

    def selected(self, label):
        return Select(self.field(label)).first_selected_option.text

    def options(self, label):
        return [o.text for o in Select(self.field(label)).options]

    def open(self, path="/ccmadmin/"):
        self.driver.get(self.base + path)

    def sign_in(self, user, password, path="/ccmadmin/"):
        self.open(path)
        self.type("User Name", user)
        self.type("Password", password)
        self.click("Login")

    def menu(self, *path):
        for item in path[:-1]:
            self.click(item)
        self.link(path[-1]).click()

    def dialog_ok(self, title):
        self.one("//dialog[@open]//h2[normalize-space(.)=%s]" % lit(title), "dialog %r" % title)
        self.one("//dialog[@open]//button[normalize-space(.)='OK']", "OK").click()

    def table_rows(self):
        """The results table's rows as lists of cell texts (read again if the
        page redraws meanwhile)."""
        for _ in range(50):
            try:
                rows = self.visible("//main//table//tbody/tr")
                return [[c.text for c in r.find_elements(By.TAG_NAME, "td")] for r in rows]
            except StaleElementReferenceException:
                time.sleep(0.05)
        raise AssertionError("the table kept changing")

    def screenshot(self, name):
        self.driver.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def allow_fault_responses(self):
        """The test expects AXL faults (HTTP 500 from /axl/): Chromium logs
        each such response; console_errors() then leaves those out."""
        self.allowed.append("/axl/ - Failed to load resource: the server responded with a status of 500")

    def console_errors(self):
        """SEVERE entries of the browser log (script errors, failed loads,
        CSP violations) since the last call, but for responses the test
        said it expects."""
        log = [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
        allowed, self.allowed = self.allowed, []
        return [e for e in log if not (e.get("source") == "network" and
                                       any(a in e["message"] for a in allowed))]

    def focus_reaches(self, limit=300):
        """Tabs through the page from the top; returns the visible texts (or
        aria-labels) of the buttons and links focus reached."""
        self.driver.find_element(By.TAG_NAME, "body").click()
        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        seen = []
        body = self.driver.switch_to.active_element
        for _ in range(limit):
            body.send_keys(Keys.TAB)
            body = self.driver.switch_to.active_element
            tag = body.tag_name
            if tag in ("button", "a"):
                label = body.get_attribute("aria-label") or body.text.strip()
                if label in seen:
                    break
                seen.append(label)
            time.sleep(0.005)
        return seen
