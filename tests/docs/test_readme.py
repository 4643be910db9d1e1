"""The README's "Add it to your shop" settings keep shoppers' files private."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import override_settings

from django_tryon.checks import check_settings
from django_tryon.storage import PrivateFileSystemStorage, private_storage, public_url_reason

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_settings(base_dir: Path) -> dict[str, object]:
    section = README.read_text().split("## Add it to your shop", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]
    settings_part = code.split("# urls.py", 1)[0]
    namespace: dict[str, object] = {"BASE_DIR": base_dir, "INSTALLED_APPS": []}
    exec(compile(settings_part, str(README), "exec"), namespace)
    return namespace


def test_the_readme_setup_keeps_shoppers_files_where_no_url_serves_them(tmp_path):
    conf = readme_settings(tmp_path)
    media = tmp_path / "media"  # where a shop usually keeps MEDIA_ROOT
    with override_settings(STORAGES=conf["STORAGES"], TRYON=conf["TRYON"], MEDIA_ROOT=media):
        assert not [e for e in check_settings() if e.id in ("tryon.E013", "tryon.E014")]
        storage = private_storage()
        assert isinstance(storage, PrivateFileSystemStorage)
        assert public_url_reason(storage) is None
        assert media not in Path(storage.location).parents
