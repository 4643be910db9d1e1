"""The German translation: the product page, the widget's texts and API errors in German;
a complete catalog, compiled, with the .mo in step with the .po (no gettext tools needed)."""

from __future__ import annotations

import gettext
import json
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

import django_tryon
from django_tryon.models import Garment, Source, Status, TryOnJob
from tests.api import badfiles
from tests.api.conftest import Shopper
from tests.fixtures import make_image

APP = Path(django_tryon.__file__).parent
PO = APP / "locale" / "de" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def parse_po(path: Path) -> list[dict[str, object]]:
    """Entries of a .po file: msgid, plural, msgstr(s), flags. Enough of the format for ours."""
    entries: list[dict[str, object]] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict[str, object] = {"flags": [], "msgstr": {}}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = [f.strip() for f in line[2:].split(",")]
                continue
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d)\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                value = match.group(3)
            else:
                value = line[1:-1]
            value = re.sub(
                r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), value
            )
            if key.startswith("msgstr"):
                index = int(key[7]) if "[" in key else 0
                strings = entry["msgstr"]
                strings[index] = strings.get(index, "") + value  # type: ignore[union-attr]
            else:
                entry[key] = entry.get(key, "") + value  # type: ignore[operator]
        entries.append(entry)
    return entries


@pytest.fixture
def german_page(client, settings):
    """The example shop's product page with a garment and a featured try-on."""
    from catalog.models import Product

    settings.ROOT_URLCONF = "shop.urls"
    product = Product.objects.create(
        name="Breton Stripe Tee", slug="breton", price=Decimal("29.00")
    )
    garment = Garment(product=product, name="Breton Stripe Tee", category="upper_body")
    garment.image.save(
        "g.png", ContentFile(make_image((400, 400), "PNG", person=False)), save=False
    )
    garment.save()
    job = TryOnJob(
        garment=garment,
        category="upper_body",
        provider="sandbox",
        source=Source.ADMIN,
        status=Status.SUCCEEDED,
        is_featured=True,
    )
    job.result.save("r.jpg", ContentFile(make_image()), save=False)
    job.save()
    response = client.get("/products/breton/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_product_page_in_german(german_page):
    html = german_page
    for text in (
        "Anprobieren",
        "Breton Stripe Tee anprobieren",
        "Foto auswählen",
        "Foto aufnehmen",
        "Meine Anprobe erstellen",
        "Ich bin einverstanden, dass mein Foto an unseren Anprobe-Dienstleister gesendet wird",
        "nach 24 Stunden automatisch gelöscht",
        "Mein Foto jetzt löschen",
        "Anderes Foto probieren",
        'aria-label="Schließen"',
        "An unseren Models",
        'alt="Breton Stripe Tee, getragen von einem unserer Models"',
    ):
        assert text in html, text
    for english in ("Try it on", "Create my try-on", "I agree that", "Delete my photo now"):
        assert english not in html, english
    config = json.loads(
        re.search(r'<script id="tryon-[^"]+" type="application/json">(.*?)</script>', html).group(1)
    )
    strings = config["strings"]
    assert strings["uploading"] == "Ihr Foto wird hochgeladen …"
    assert strings["almost_done"] == "Gleich fertig …"
    assert (
        strings["file_too_large"]
        == "Die Datei ist zu groß ({size} MB); erlaubt sind höchstens 15 MB."
    )


@pytest.mark.django_db
def test_api_errors_in_german(product, garment):
    response = Shopper().upload(garment, badfiles.tiny_photo(), HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 400
    assert response.json() == {
        "code": "photo_too_small",
        "message": "Dieses Foto ist zu klein (10×10). Bitte verwenden Sie ein Foto mit mindestens "
        "512 Pixeln auf jeder Seite.",
    }
    response = Shopper().upload(garment, make_image(), consent="", HTTP_ACCEPT_LANGUAGE="de")
    assert (
        response.json()["message"]
        == "Bitte stimmen Sie der Verwendung Ihres Fotos zu, bevor Sie fortfahren."
    )


def test_catalog_is_complete():
    entries = parse_po(PO)[1:]
    assert len(entries) > 250
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == []
    for entry in entries:  # placeholders survive translation
        found = set(
            re.findall(r"%\(\w+\)", str(entry["msgid"]) + str(entry.get("msgid_plural", "")))
        )
        for text in entry["msgstr"].values():
            assert set(re.findall(r"%\(\w+\)", text)) <= found, entry["msgid"]
        if "msgid_plural" not in entry:
            assert set(re.findall(r"%\(\w+\)", entry["msgstr"][0])) == found, entry["msgid"]


def test_compiled_catalog_matches_the_po():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in parse_po(PO)[1:]:
        msgid = str(entry["msgid"])
        if "msgid_plural" in entry:
            assert compiled.ngettext(msgid, str(entry["msgid_plural"]), 1) == entry["msgstr"][0]
            assert compiled.ngettext(msgid, str(entry["msgid_plural"]), 5) == entry["msgstr"][1]
        else:
            assert compiled.gettext(msgid) == entry["msgstr"][0], msgid


@pytest.mark.skipif(
    shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed"
)
def test_every_string_of_the_app_is_in_the_catalog(tmp_path):
    """makemessages over the app finds nothing the German catalog lacks."""
    copy = tmp_path / "django_tryon"
    shutil.copytree(APP, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "de", "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": ""},
    )
    found = {
        str(e["msgid"]) for e in parse_po(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")[1:]
    }
    known = {str(e["msgid"]) for e in parse_po(PO)[1:] if all(e["msgstr"].values())}
    assert len(found) > 250
    assert sorted(found - known) == []
