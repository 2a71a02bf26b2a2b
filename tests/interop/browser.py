"""The web pages in Debian's chromium, driven by Playwright for Python.

    browser.py SCENARIO INPUT_JSON SCREENSHOT_DIR

Scenarios: `walk` (reviewer, analyst, engineer and admin walk-throughs)
and `oidc` (a sign-in through the identity provider). Prints what it saw
as JSON for tests/browser.rs to assert on; each page is screenshotted into
SCREENSHOT_DIR. Every wait is for a condition on the page, never a sleep.
"""

import csv
import hashlib
import io
import json
import sys

from playwright.sync_api import expect, sync_playwright

# As the probe of this machine kind starts it: no sandbox as root, and no
# background networking, which the closed network refuses.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def canonical(value, top=True):
    """The evidence pack's canonical JSON, as Airlock seals it."""
    if isinstance(value, dict):
        keys = sorted(k for k in value if not (top and k == "sha256"))
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + canonical(value[k], False)
                              for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v, False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


# axe-core's WCAG 2.1 A and AA rules, contrast among them.
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag',
    values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return r.violations.map(v => v.id + ' (' + v.impact + '): ' +
    v.nodes.map(n => n.target.join(' ')).join(', '));
}"""


class Walk:
    def __init__(self, browser, base, shots, axe=None):
        self.browser, self.base, self.shots, self.axe = browser, base, shots, axe
        # The pages' CSP allows only their own scripts; axe is injected by
        # the test, so the test's context may bypass it.
        self.context = browser.new_context(accept_downloads=True, bypass_csp=bool(axe))
        self.page = self.context.new_page()
        self.violations = {}

    def shot(self, name):
        """A screenshot of the page, and axe's accessibility check of it."""
        self.page.screenshot(path=f"{self.shots}/{name}.png", full_page=True)
        if self.axe:
            self.page.add_script_tag(path=self.axe)
            self.violations[name] = self.page.evaluate(AXE_RUN)

    def sign_in(self, token, shot=None):
        self.context.clear_cookies()
        self.page.goto(f"{self.base}/ui/sign-in")
        self.page.get_by_label("Token", exact=True).fill(token)
        if shot:
            self.shot(shot)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def sign_out(self):
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("heading", name="Sign in to Airlock")).to_be_visible()


def walk(p, args, shots):
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    w = Walk(browser, args["base"], shots, axe=args["axe"])
    page, seen = w.page, {}

    # The keyboard: the first Tab reaches the skip link, which moves focus
    # to the content.
    page.goto(f"{args['base']}/ui/sign-in")
    page.keyboard.press("Tab")
    seen["first_tab"] = page.evaluate("document.activeElement.textContent")

    # A reviewer walks a held file to release.
    w.sign_in(args["reviewer"], shot="sign-in")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    w.shot("review-queue")
    page.get_by_role("link", name="contacts.csv").click()
    expect(page.get_by_role("heading", name="Delivery: contacts.csv")).to_be_visible()
    seen["evidence"] = {
        "columns": page.locator("table.columns tbody th").all_inner_texts(),
        "pii": page.locator("table.columns tbody tr", has_text="email").locator("strong").inner_text(),
        "visits_flags": page.locator("table.columns tbody tr", has_text="visits")
                            .locator(".flag").all_inner_texts(),
        "email_sum": page.locator("table.columns tbody tr", has_text="email")
                         .locator("td").nth(6).inner_text(),
        "visits_sum": page.locator("table.columns tbody tr", has_text="visits")
                          .locator("td").nth(6).inner_text(),
    }
    w.shot("file-evidence")
    page.get_by_label("Reason", exact=False).fill("Emails are the supplier's test accounts")
    page.get_by_role("button", name="Release").click()
    state = page.locator("#file-state")
    expect(state).not_to_have_text("awaiting_review")
    seen["after_release"] = ("converting_or_published"
                             if state.inner_text().lower() in ("received", "scanning", "checking",
                                                       "converting", "published")
                             else state.inner_text().lower())
    w.shot("file-released")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed evidence pack").click()
    pack = json.loads(open(download.value.path(), encoding="utf-8").read())
    digest = hashlib.sha256(canonical(pack).encode()).hexdigest()
    seen["evidence_pack"] = {"subject": pack["subject"], "sha256_ok": digest == pack["sha256"]}
    page.get_by_role("link", name="Labour force survey").first.click()
    expect(page.get_by_role("heading", name="Acquisition: Labour force survey")).to_be_visible()
    w.shot("acquisition")
    w.sign_out()

    # An analyst goes from search to a dataset page, reads it, and meets
    # the 404 page for a dataset outside their zones.
    w.sign_in(args["analyst"])
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
    page.get_by_label("Search datasets").fill("labour")
    page.get_by_role("button", name="Search").click()
    hits = page.locator("li.hit a.hit-name")
    expect(hits.first).to_be_visible()
    seen["search_hits"] = hits.all_inner_texts()
    w.shot("search")
    page.get_by_role("link", name=args["dataset_name"], exact=True).click()
    expect(page.get_by_role("heading", name="Use it")).to_be_visible()
    seen["pyiceberg"] = page.locator("#snippet-pyiceberg").inner_text()
    w.shot("dataset")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    seen["download_rows"] = len(rows)
    uncleared = page.goto(f"{args['base']}/ui/datasets/{args['hidden_dataset']}")
    seen["uncleared_status"] = uncleared.status
    seen["uncleared_text"] = page.locator("main").inner_text()
    w.shot("not-found")
    missing = page.goto(f"{args['base']}/ui/datasets/no-such-dataset")
    seen["missing_status"] = missing.status
    seen["missing_text"] = page.locator("main").inner_text()
    # A post without the form's CSRF token, with the session's cookie.
    refused = w.context.request.post(f"{args['base']}/ui/sign-out",
                                     form={"reason": "no token"}, max_redirects=0)
    seen["csrf_less_status"] = refused.status
    page.goto(f"{args['base']}/ui/datasets")
    seen["still_signed_in"] = page.get_by_role("button", name="Sign out").is_visible()
    w.sign_out()

    # An engineer watches their deliveries.
    w.sign_in(args["engineer"])
    expect(page.get_by_role("heading", name="My acquisitions")).to_be_visible()
    w.shot("deliveries")
    page.get_by_role("link", name="Labour force survey").click()
    expect(page.get_by_role("heading", name="Deliveries: Labour force survey")).to_be_visible()
    cells = page.locator("#deliveries tbody td:nth-child(2)")
    expect(cells.filter(has_text="published")).to_have_count(2)
    seen["engineer_states"] = cells.all_inner_texts()
    w.shot("delivery")
    w.sign_out()

    # An admin's pages.
    w.sign_in(args["admin"])
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    w.shot("users")
    for name, heading in [("Engines", "Scan engines"), ("Zones", "Zones and their flows"),
                          ("Audit", "Audit log")]:
        page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        w.shot(name.lower())
    seen["audit_intact"] = "intact" in page.locator("#audit-check").inner_text()
    w.sign_out()
    seen["accessibility"] = w.violations
    # The control: axe does find what it looks for (an unlabelled field).
    page.set_content('<!doctype html><html lang="en"><title>x</title><main><input></main></html>')
    page.add_script_tag(path=args["axe"])
    seen["axe_control"] = page.evaluate(AXE_RUN)
    browser.close()
    return seen


def oidc(p, args, shots):
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    w = Walk(browser, args["base"], shots)
    page, seen = w.page, {}
    page.goto(f"{args['base']}/ui/reviews")
    w.shot("oidc-sign-in")
    page.get_by_role("link", name="Sign in with single sign-on").click()
    # The provider's own form: who to sign in as.
    page.locator("input[name=sub]").first.fill(args["subject"])
    page.get_by_role("button", name="Authorize").first.click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    seen["landed"] = page.url
    seen["header"] = page.locator(".who span").first.inner_text()
    w.shot("oidc-signed-in")
    forged = w.context.request.get(
        f"{args['base']}/ui/oidc/callback?code=stolen&state=guessed", max_redirects=0)
    seen["forged_status"] = forged.status
    browser.close()
    return seen


def main():
    scenario, args, shots = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
    with sync_playwright() as p:
        seen = {"walk": walk, "oidc": oidc}[scenario](p, args, shots)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
