"""The OpenAPI document: valid OpenAPI 3.1, served under the API's prefix, equal to the URLconf.

The URLconf side is found by walking the resolver of ``django_tryon.urls``, and each
route's methods by asking it (a method it doesn't take answers 405), so a route, a
parameter or a method added on either side without the other fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, include, path
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from django_tryon.api.openapi import document

METHODS = ("get", "post", "put", "patch", "delete", "options")
# Provider callbacks: each provider's contract, not the shopper API (docs/providers/).
NOT_SHOPPER_API = ("webhooks/",)

# Mounted elsewhere, for the test of the served ``servers`` (``@pytest.mark.urls``).
urlpatterns = [path("shop/try-on/", include("django_tryon.urls"))]


def django_routes() -> dict[str, str]:
    """``{OpenAPI path: Django route}`` of every route under ``django_tryon.urls``."""
    from django_tryon import urls

    found: dict[str, str] = {}

    def walk(patterns: list[Any], prefix: str) -> None:
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern) and not route.startswith(NOT_SHOPPER_API):
                found["/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)] = route

    walk(urls.urlpatterns, "")
    return found


def example_url(openapi_path: str) -> str:
    values = {"token": "A" * 22, "width": "320"}
    return "/tryon" + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], openapi_path)


def test_the_document_is_valid_openapi_3_1():
    spec = document()
    assert spec["openapi"].startswith("3.1.")
    validate(spec, cls=OpenAPIV31SpecValidator)


def test_every_route_is_documented_and_every_documented_path_is_routed():
    assert sorted(document()["paths"]) == sorted(django_routes())
    # create, job, cancel, outfit, result, the visit, its photo, gallery, events, this document
    assert len(django_routes()) == 11


def test_path_parameters_are_the_routes_parameters():
    spec = document()
    for openapi_path, route in django_routes().items():
        item = spec["paths"][openapi_path]
        for method in METHODS:
            if method not in item:
                continue
            parameters = [*item.get("parameters", []), *item[method].get("parameters", [])]
            names = {
                resolve(spec, p)["name"] for p in parameters if resolve(spec, p)["in"] == "path"
            }
            assert names == set(re.findall(r"<(?:\w+:)?(\w+)>", route)), (method, openapi_path)


@pytest.mark.django_db
def test_documented_methods_are_the_methods_each_route_takes():
    client = Client()  # CSRF isn't enforced: only 405 says a method isn't taken
    spec = document()
    for openapi_path in django_routes():
        documented = {m for m in METHODS if m in spec["paths"][openapi_path]}
        taken = set()
        for method in METHODS:
            response = getattr(client, method)(example_url(openapi_path))
            if response.status_code != 405:
                taken.add(method)
            else:
                assert response.json()["code"] == "method_not_allowed"
        assert taken == documented, openapi_path
        # HEAD is answered wherever GET is, and only there.
        head = client.head(example_url(openapi_path)).status_code != 405
        assert head == ("get" in documented), openapi_path


def test_every_operation_documents_its_refusals_as_json_errors():
    spec = document()
    for openapi_path, item in spec["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None or openapi_path == "/openapi.json":
                continue
            responses = operation["responses"]
            assert "500" in responses, (method, openapi_path)
            if "{" in openapi_path:  # looks something up: "not found" is documented
                assert "404" in responses, (method, openapi_path)
            if openapi_path == "/visit/":  # nothing to find (any session has a visit)
                assert "400" in responses, (method, openapi_path)
            if "security" in operation:  # CSRF-protected: a refusal is documented
                assert "403" in responses, (method, openapi_path)
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    content = resolve(spec, response)["content"]
                    schema = content["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (status, openapi_path)


def test_unsafe_operations_and_only_they_require_csrf():
    spec = document()
    csrf = [{"csrfCookie": [], "csrfHeader": []}]
    for item in spec["paths"].values():
        for method in METHODS:
            if method in item:
                expected = csrf if method in ("post", "put", "patch", "delete") else None
                assert item[method].get("security") == expected


@pytest.mark.django_db
def test_the_document_is_served_with_this_installations_prefix():
    response = Client().get("/tryon/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    served = response.json()
    assert served["servers"] == [{"url": "/tryon", "description": "This shop's try-on API."}]
    shipped = document()
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in shipped.items() if k != "servers"
    }
    validate(served, cls=OpenAPIV31SpecValidator)


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_shop_mounting_the_api_elsewhere_is_served_its_own_prefix():
    response = Client().get("/shop/try-on/openapi.json")
    assert response.json()["servers"][0]["url"] == "/shop/try-on"


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node
