"""Root pytest configuration: infrastructure fixtures come from one place, ``devstack.testing``."""

pytest_plugins = ["devstack.testing", "devstack.watchdog"]
