"""The Operations page: its production settings pass the checks and its S3 storage works."""

from __future__ import annotations

import os
import shlex
import uuid

import pytest
from django.test import override_settings
from django.utils.module_loading import import_string

from django_tryon.checks import check_settings
from tests.docs.support import read_snippet, shell_commands


def production_settings(env: dict[str, str]) -> dict:
    namespace: dict = {}
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        exec(
            compile(read_snippet("operations/settings_production.py"), "production", "exec"),
            namespace,
        )
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return namespace


ENV = {
    "DB_HOST": "db.internal",
    "DB_NAME": "shop",
    "DB_USER": "shop",
    "DB_PASSWORD": "x",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "TRYON_BUCKET": "shop-tryon",
}


def test_production_settings_pass_the_checks():
    conf = production_settings(ENV)
    assert conf["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"
    import_string(conf["CACHES"]["default"]["BACKEND"])
    with override_settings(
        TRYON=conf["TRYON"], Q_CLUSTER=conf["Q_CLUSTER"], STORAGES=conf["STORAGES"], DEBUG=False
    ):
        assert not check_settings(), [str(p) for p in check_settings()]


@pytest.mark.s3
def test_the_s3_storage_round_trip(s3_server, db):
    import boto3

    from django_tryon.services.checks import check_storage

    bucket = f"docs-{uuid.uuid4().hex[:12]}"
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    env = {
        **ENV,
        "TRYON_BUCKET": bucket,
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    conf = production_settings(env)
    saved = dict(os.environ)
    os.environ.update(credentials)  # boto3 reads the keys from the environment
    try:
        with override_settings(TRYON=conf["TRYON"], STORAGES=conf["STORAGES"]):
            verdict = check_storage()
            assert verdict.ok, verdict.message
            from django_tryon.storage import current_storage, private_storage

            assert type(current_storage()).__name__ == "S3Storage"
            assert type(private_storage()).__name__ == "S3Storage"
            from django.core.files.base import ContentFile

            from django_tryon.services.shopper import signed_result_url
            from django_tryon.storage import get_private_storage, random_name

            results = get_private_storage()  # a result is a job file: private
            name = results.save(random_name("results", "jpg"), ContentFile(b"\xff\xd8\xff"))
            url = signed_result_url(name)
            assert url is not None and "Signature=" in url, url
            results.delete(name)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_host_commands_parse():
    from django.core.management import load_command_class

    commands = shell_commands("operations/qcluster_hosts.sh")
    assert commands[0] == "python manage.py qcluster"
    words = shlex.split(commands[1])
    load_command_class("django_tryon", words[2]).create_parser("manage.py", words[2]).parse_args(
        words[3:]
    )
