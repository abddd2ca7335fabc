"""The API reference page on a phone: Swagger UI from the app's own files draws the OpenAPI
document, under the page's content security policy, asking nothing of another host."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from playwright.sync_api import Browser, expect

from tests.browser.conftest import OUTPUT_DIR


def test_the_reference_draws_the_document_under_the_policy(browser: Browser, live_server):
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    problems: list[str] = []
    hosts: set[str] = set()
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" or "Content Security Policy" in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: hosts.add(urlsplit(r.url).netloc))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('CSP refused ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    response = page.goto(live_server + "/api/v1/docs")
    assert response is not None and response.status == 200
    expect(page.locator("#swagger-ui .information-container")).to_be_visible()
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    expect(page.locator("#reference-fallback")).to_be_hidden()
    page.screenshot(path=os.path.join(OUTPUT_DIR, "api-reference.png"))
    # An operation opened: its parameters, responses and their example bodies drawn.
    page.locator("#swagger-ui .opblock-summary").first.click()
    expect(page.locator("#swagger-ui .responses-wrapper").first).to_be_visible()
    expect(page.locator("#swagger-ui .highlight-code").first).to_be_visible()
    page.locator("#swagger-ui button.authorize").first.click()
    expect(page.locator("#swagger-ui .modal-ux")).to_be_visible()
    expect(page.locator("#guide-link")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not problems, problems
    assert hosts <= {urlsplit(live_server).netloc, ""}, hosts
    context.close()
