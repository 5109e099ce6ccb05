"""Branch configuration (TOML files) and runtime settings (environment)."""

from shared.config.loader import load_branch_file, load_branches
from shared.config.schema import Area, Branch, BranchConfig, Counter, Hours, Service, TimeRange
from shared.config.settings import Settings, StaffToken

__all__ = [
    "Area",
    "Branch",
    "BranchConfig",
    "Counter",
    "Hours",
    "Service",
    "Settings",
    "StaffToken",
    "TimeRange",
    "load_branch_file",
    "load_branches",
]
