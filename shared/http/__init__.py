"""HTTP pieces every service uses: health, metrics, problem+json errors, access log."""

from shared.http.access import AccessLogger
from shared.http.health import (
    READINESS_KEY,
    SERVICE_NAME_KEY,
    CheckResult,
    Readiness,
    health_body,
    healthz,
)
from shared.http.metrics import REGISTRY_KEY, metrics
from shared.http.problem import (
    PROBLEM_CONTENT_TYPE,
    ProblemError,
    problem,
    problem_middleware,
    problem_response,
)

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "READINESS_KEY",
    "REGISTRY_KEY",
    "SERVICE_NAME_KEY",
    "AccessLogger",
    "CheckResult",
    "ProblemError",
    "Readiness",
    "health_body",
    "healthz",
    "metrics",
    "problem",
    "problem_middleware",
    "problem_response",
]
