pytest_plugins = ["tests.fixtures", "tests.cluster", "tests.s3", "tests.server"]
