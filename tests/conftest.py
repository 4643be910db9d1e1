import os

pytest_plugins = ["tests.fixtures", "tests.cluster", "tests.s3", "tests.server"]

OSCAR_SETTINGS = "tests.oscar_project.settings"

# The Oscar shop has settings of its own: it runs as its own pytest invocation
# (``pytest tests/oscar_project --ds=tests.oscar_project.settings``), never inside the
# main suite, whose settings have no Oscar.
collect_ignore = (
    [] if os.environ.get("DJANGO_SETTINGS_MODULE") == OSCAR_SETTINGS else ["oscar_project"]
)
