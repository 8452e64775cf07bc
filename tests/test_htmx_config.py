"""htmx runs with its risky features off (issue 13): no eval, no scripts from swapped content, no
requests to other sites. Every page extends base.html, which carries the configuration."""

import json
from html.parser import HTMLParser

import pytest
from django.urls import reverse


class _MetaConfig(HTMLParser):
    def __init__(self):
        super().__init__()
        self.configs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "htmx-config":
            self.configs.append(attrs["content"])


def htmx_config(html: str) -> dict:
    parser = _MetaConfig()
    parser.feed(html)
    assert len(parser.configs) == 1
    return json.loads(parser.configs[0])


def test_htmx_evaluates_no_code_runs_no_swapped_scripts_and_talks_only_to_the_portal(client, db):
    config = htmx_config(client.get(reverse("login")).content.decode())
    assert config == {
        "includeIndicatorStyles": False,  # the CSP allows no inline style
        "allowEval": False,  # no hx-on, no js: values, no trigger filters: nothing stored can run code
        "allowScriptTags": False,  # a <script> in swapped content is not run
        "selfRequestsOnly": True,  # htmx sends nothing to another origin
    }


@pytest.mark.parametrize("name", ["home", "audits:tool_list"])
def test_signed_in_pages_carry_the_same_htmx_config(client, admin_person, name):
    client.force_login(admin_person.user)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert htmx_config(response.content.decode())["allowEval"] is False
