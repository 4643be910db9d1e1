"""The shopper JSON API: create a try-on, follow it, fetch and delete its result.

=============================================  ======  =====================================
URL (under ``tryon/``)                         method  what
=============================================  ======  =====================================
``jobs/``                                      POST    create (multipart, CSRF, consent;
                                                       ``photo``, or the visit's ``photo_token``)
``jobs/<token>/``                              GET     status (owner only)
``jobs/<token>/``                              DELETE  delete the photo and the result now
``jobs/<token>/cancel/``                       POST    stop a running job
``jobs/<token>/outfit/``                       POST    complete the look: add a garment
``jobs/<token>/result/``                       GET     the result image (``?download=1``)
``visit/``                                     GET     the visit's photo, a product's result
``photos/<token>/``                            GET     the visit's photo (owner only)
``photos/<token>/``                            DELETE  it and every result made from it
``photos/<token>/thumbnail/``                  GET     its thumbnail, 160 px (owner only)
``gallery/<token>/<width>.jpg``                GET     a featured result, public
``events/``                                    POST    the widget's events (JSON, CSRF), 204
``openapi.json``                               GET     this API's OpenAPI 3.1 document
=============================================  ======  =====================================

``openapi.json`` (beside this module) describes every route here; tests keep the two equal.
"""

from django.urls import path

from . import views

urlpatterns = [
    path("jobs/", views.create_job, name="shopper-jobs"),
    path("jobs/<str:token>/", views.job, name="shopper-job"),
    path("jobs/<str:token>/cancel/", views.cancel_job, name="shopper-job-cancel"),
    path("jobs/<str:token>/outfit/", views.complete_look, name="shopper-job-outfit"),
    path("jobs/<str:token>/result/", views.job_result, name="shopper-job-result"),
    path("visit/", views.visit_state, name="shopper-visit"),
    path("photos/<str:token>/", views.visit_photo, name="shopper-photo"),
    path(
        "photos/<str:token>/thumbnail/",
        views.visit_photo_thumbnail,
        name="shopper-photo-thumbnail",
    ),
    path("gallery/<str:token>/<int:width>.jpg", views.gallery_image, name="gallery-image"),
    path("events/", views.shopper_events, name="shopper-events"),
    path("openapi.json", views.openapi_document, name="openapi"),
]
