"""The django-oscar page says what the Oscar shop of the test suite (tests/oscar_project/,
run on its own settings) does: its apps, its TRYON key, its URLs, the shipped blocks."""

from __future__ import annotations

import ast

from tests.docs.support import ROOT, read_snippet, shell_commands

PROJECT = ROOT / "tests" / "oscar_project"
SHIPPED = ROOT / "django_tryon/contrib/oscar/templates/django_tryon/oscar/catalogue/detail.html"


def literal(source: str, name: str):
    for node in ast.walk(ast.parse(source)):
        targets = getattr(node, "targets", None) or [getattr(node, "target", None)]
        if any(getattr(t, "id", None) == name for t in targets) and isinstance(
            node.value, (ast.List, ast.Dict)
        ):
            return node.value
    raise AssertionError(f"no {name} in the source")


def test_the_shop_adds_the_apps_the_page_lists_after_oscars():
    settings = (PROJECT / "settings.py").read_text()
    assert read_snippet("oscar/settings_apps.py").strip() in settings
    apps = ast.literal_eval(literal(read_snippet("oscar/settings_apps.py"), "INSTALLED_APPS"))
    assert apps == ["django_q", "django_tryon", "django_tryon.contrib.oscar"]


def test_the_shop_uses_the_pages_tryon_key():
    documented = literal(read_snippet("oscar/settings_tryon.py"), "TRYON")
    key = next(
        ast.literal_eval(v)
        for k, v in zip(documented.keys, documented.values, strict=True)
        if ast.literal_eval(k) == "OSCAR_PRODUCT_CLASS_CATEGORIES"
    )
    assert (
        f'"OSCAR_PRODUCT_CLASS_CATEGORIES": {key}'.replace("'", '"')
        in (PROJECT / "settings.py").read_text()
    )
    q_cluster = literal(read_snippet("oscar/settings_tryon.py"), "Q_CLUSTER")
    values = {
        ast.literal_eval(k): ast.literal_eval(v)
        for k, v in zip(q_cluster.keys, q_cluster.values, strict=True)
    }
    assert values["timeout"] < values["retry"]


def test_the_shop_uses_the_pages_urls():
    assert (PROJECT / "urls.py").read_text() == read_snippet("oscar/urls.py")


def test_the_template_blocks_on_the_page_are_the_ones_shipped():
    blocks = [line for line in read_snippet("oscar/detail.html").splitlines() if "{% block" in line]
    shipped = SHIPPED.read_text()
    assert blocks and all(line in shipped for line in blocks)


def test_the_commands_are_the_usual_ones():
    assert shell_commands("oscar/install.sh") == ['pip install "django-tryon[oscar]"']
    assert shell_commands("oscar/migrate.sh") == [
        "python manage.py migrate",
        "python manage.py qcluster",
    ]
