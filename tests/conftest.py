pytest_plugins = ["tests.fixtures", "tests.cluster"]
