"""Every answer of ticketing and staff conforms to its own API description (schemathesis).

Generated requests for every operation of each service's served
`/api/v1/openapi.json`, against real processes on RabbitMQ (conftest.py:
`hall`); each answer is checked: no 5xx, a documented status, the
documented content type, headers and body schema. Staff requests carry a
manager token. Per operation: `GENERATED` valid requests, `INVALID` ones
that break the description (they must be refused with a documented 4xx,
never a 5xx), and the description's examples; every failure of every
operation is reported together. The first test walks a day (tickets, desks,
bookings, check-in) whose answers generated requests rarely reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import ProcessHall

pytestmark = pytest.mark.rabbitmq

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
GENERATED = 25
INVALID = 10
EXPLICIT = 5


def _settings(examples: int) -> settings:
    # No shrinking (each request is a real round trip) and no example database:
    # the same requests every run.
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


@dataclass
class Client:
    """Calls one operation of a served description with given data, checked like the rest."""

    schema: schemathesis.BaseSchema
    base: str
    headers: Mapping[str, str]

    def __call__(self, status: int, method: str, path: str, **data: Any) -> Any:
        case = self.schema[path][method].Case(**data)
        response = case.call_and_validate(
            base_url=self.base, headers=dict(self.headers), checks=CHECKS, timeout=15
        )
        assert response.status_code == status, (method, path, response.text)
        content_type = response.headers.get("content-type", [""])[0]
        return response.json() if "json" in content_type else None


def served_schema(base: str) -> schemathesis.BaseSchema:
    response = requests.get(base + "/api/v1/openapi.json", timeout=10)
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


def exercise(
    schema: schemathesis.BaseSchema, base: str, headers: Mapping[str, str]
) -> tuple[int, list[str]]:
    """(requests sent, failures) over every operation of `schema`."""
    sent = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"not an operation: {result.err()}")
            continue
        operation = result.ok()

        def call(case: schemathesis.Case[Any]) -> None:
            nonlocal sent
            sent += 1
            case.call_and_validate(base_url=base, headers=dict(headers), checks=CHECKS, timeout=15)

        runs = [(operation.as_strategy(), GENERATED)]
        runs += [(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE), INVALID)]
        runs += [(s, EXPLICIT) for s in schema.get_strategies_from_examples(operation)]
        for strategy, examples in runs:
            test = _settings(examples)(given(case=strategy)(call))
            try:
                test()
            except Unsatisfiable:
                continue  # no invalid request exists: the operation takes no input
            except (Exception, BaseExceptionGroup) as exc:  # failed checks, with the request
                failures.append(f"{operation.label}: {exc}")
                break
    return sent, failures


def test_a_day_of_tickets_desks_and_bookings_answers_as_described(hall: ProcessHall) -> None:
    """The answers fuzzing rarely reaches (201s, a desk's day, check-in), one of each.

    First in this module: the branch is fresh, so each step's status is known.
    """
    citizen = Client(served_schema(hall.bases["ticketing"]), hall.bases["ticketing"], {})
    staff = Client(served_schema(hall.bases["staff"]), hall.bases["staff"], hall.bearer)
    api = "/api/v1/branches/{branch}"
    at = {"branch": hall.branch}
    desk = {**at, "counter": "service-1"}

    citizen(200, "GET", f"{api}/services", path_parameters=at)
    staff(200, "POST", f"{api}/counters/{{counter}}/open", path_parameters=desk, body={})
    walk_in = citizen(201, "POST", f"{api}/tickets", path_parameters=at, body={"service": "mitid"})
    ticket = {**at, "ticket_id": walk_in["ticket_id"]}
    assert (
        citizen(200, "GET", f"{api}/tickets/{{ticket_id}}", path_parameters=ticket)["status"]
        == "waiting"
    )
    staff(201, "POST", f"{api}/tickets", path_parameters=at, body={"service": "pas"})
    called = staff(200, "POST", f"{api}/counters/{{counter}}/call-next", path_parameters=desk)
    held = {"number": called["number"]}
    for action in ("recall", "start", "finish"):
        staff(200, "POST", f"{api}/counters/{{counter}}/{action}", path_parameters=desk, body=held)
    called = staff(200, "POST", f"{api}/counters/{{counter}}/call-next", path_parameters=desk)
    transfer = {"number": called["number"], "service": "pas", "position": "front"}
    staff(200, "POST", f"{api}/counters/{{counter}}/transfer", path_parameters=desk, body=transfer)
    leaving = citizen(201, "POST", f"{api}/tickets", path_parameters=at, body={"service": "mitid"})
    gone = {**at, "ticket_id": leaving["ticket_id"]}
    citizen(200, "DELETE", f"{api}/tickets/{{ticket_id}}", path_parameters=gone)
    citizen(200, "DELETE", f"{api}/tickets/{{ticket_id}}", path_parameters=gone)

    listing = citizen(
        200, "GET", f"{api}/appointments/slots", path_parameters=at, query={"service": "pas"}
    )
    staff(200, "GET", f"{api}/appointments/slots", path_parameters=at, query={"service": "pas"})
    free = [slot["start"] for day in listing["days"] for slot in day["slots"] if slot["free"]]
    # The first slot starts within its length (15 min), so its check-in is open.
    booked = citizen(
        201,
        "POST",
        f"{api}/appointments",
        path_parameters=at,
        body={"service": "pas", "start": free[0]},
    )
    booking = {**at, "appointment_id": booked["appointment_id"]}
    citizen(200, "GET", f"{api}/appointments/{{appointment_id}}", path_parameters=booking)
    citizen(
        200, "GET", f"{api}/appointments/{{appointment_id}}/calendar.ics", path_parameters=booking
    )
    code = {"code": booked["code"]}
    arrived = citizen(201, "POST", f"{api}/check-ins", path_parameters=at, body=code)
    citizen(200, "POST", f"{api}/check-ins", path_parameters=at, body=code)
    checked_in = citizen(
        200, "GET", f"{api}/appointments/{{appointment_id}}", path_parameters=booking
    )
    assert checked_in["status"] == "checked_in" and checked_in["number"]

    by_staff = staff(
        201,
        "POST",
        f"{api}/appointments",
        path_parameters=at,
        body={"service": "pas", "start": free[1]},
    )
    day = staff(200, "GET", f"{api}/appointments", path_parameters=at)
    assert {b["appointment_id"] for b in day["bookings"]} >= {by_staff["appointment_id"]}
    staff(
        200,
        "DELETE",
        f"{api}/appointments/{{appointment_id}}",
        path_parameters={**at, "appointment_id": by_staff["appointment_id"]},
    )
    online = citizen(
        201,
        "POST",
        f"{api}/appointments",
        path_parameters=at,
        body={"service": "pas", "start": free[2]},
    )
    mine = {**at, "appointment_id": online["appointment_id"]}
    citizen(200, "DELETE", f"{api}/appointments/{{appointment_id}}", path_parameters=mine)
    citizen(200, "DELETE", f"{api}/appointments/{{appointment_id}}", path_parameters=mine)

    # The checked-in citizen is called by id, recalled until no-show is allowed, then gone.
    one = {"ticket_id": arrived["ticket_id"]}
    staff(200, "POST", f"{api}/counters/{{counter}}/call", path_parameters=desk, body=one)
    for _ in range(2):  # max_recalls
        staff(200, "POST", f"{api}/counters/{{counter}}/recall", path_parameters=desk)
    staff(200, "POST", f"{api}/counters/{{counter}}/no-show", path_parameters=desk)
    other_desk = {**at, "counter": "service-2"}
    staff(200, "POST", f"{api}/counters/{{counter}}/open", path_parameters=other_desk)
    staff(200, "POST", f"{api}/counters/{{counter}}/close", path_parameters=other_desk)

    overview = staff(200, "GET", f"{api}/overview", path_parameters=at)
    assert overview["queue"] and overview["appointments"]["counts"]["checked_in"] == 1
    staff(200, "GET", f"{api}/stats", path_parameters=at)
    staff(200, "GET", f"{api}/stats", path_parameters=at, query={"format": "csv"})


@pytest.mark.timeout(300)
@pytest.mark.parametrize("service", ["ticketing", "staff"])
def test_every_answer_is_as_described(hall: ProcessHall, service: str) -> None:
    base = hall.bases[service]
    headers = hall.bearer if service == "staff" else {}
    sent, failures = exercise(served_schema(base), base, headers)
    assert failures == [], "\n\n".join(failures) + "\n\n" + hall.logs()
    assert sent >= 100  # every operation was exercised, not skipped
