"""A headless front end's try-on, in Python with requests (a browser does the same with fetch).

`session` is the shopper's: it holds the `csrftoken` cookie a page of your shop set
(`{% csrf_token %}` or `django.middleware.csrf.get_token`), and it keeps the session and
`tryon_owner` cookies the create answer sets, which open the job to this shopper only.
"""

import time

import requests


class TryOnRefused(Exception):
    def __init__(self, status: int, body: dict) -> None:
        super().__init__(body["message"])  # plain words, in the request's language
        self.status, self.code = status, body["code"]  # e.g. 400 "photo_too_dark"


def start_try_on(session: requests.Session, shop: str, garment_id: int, photo: bytes) -> dict:
    response = session.post(
        f"{shop}/tryon/jobs/",
        data={"garment": garment_id, "consent": "1"},
        files={"photo": ("me.jpg", photo, "image/jpeg")},
        headers={"X-CSRFToken": session.cookies["csrftoken"]},
    )
    if response.status_code != 201:
        raise TryOnRefused(response.status_code, response.json())
    return response.json()  # the status document: token, status, stage, url, poll_after...


def wait_for_picture(session: requests.Session, shop: str, job: dict) -> bytes:
    while job["poll_after"] is not None:  # null once the job has ended
        time.sleep(job["poll_after"] / 1000)
        job = session.get(shop + job["url"]).json()
    if job["status"] != "succeeded":
        raise TryOnRefused(200, job["error"])
    return session.get(shop + job["result_url"]).content


def delete_photo(session: requests.Session, shop: str, job: dict) -> None:
    headers = {"X-CSRFToken": session.cookies["csrftoken"]}
    session.delete(shop + job["url"], headers=headers).raise_for_status()  # 204
