"""The four services and the `qms` command line."""
