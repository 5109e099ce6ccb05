"""Tests of the service runtime: boot, health, metrics, shutdown, `qms up`."""
