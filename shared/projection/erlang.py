"""Erlang C: how many desks a stream of citizens needs, and how long they wait.

The textbook M/M/c queue: arrivals at random (Poisson) at `per_hour`, each
served for `service_s` on average, by `desks` desks from one queue. The
traffic is `a = per_hour * service_s / 3600` erlangs (desks kept busy on
average). With c desks (c > a), the chance a citizen has to wait at all is
Erlang C, C(c, a), computed from the stable Erlang B recursion

    B(0) = 1,  B(k) = a B(k-1) / (k + a B(k-1)),  C = c B / (c - a (1 - B)),

and the chance of waiting longer than t is C(c, a) * exp(-(c - a) t / s);
the mean wait is C(c, a) * s / (c - a).

`desks_needed` is the smallest c that serves `SERVICE_LEVEL` (80 %) of the
citizens within the service's target wait, the common "80/20" staffing rule,
and the share the statistics report as `within_target`.
"""

from __future__ import annotations

import math

SERVICE_LEVEL = 0.8
# A guard, not a figure: no hall needs this many desks for one service.
MAX_DESKS = 1000


def traffic(per_hour: float, service_s: float) -> float:
    """Offered traffic in erlangs: the desks kept busy on average."""
    return per_hour * service_s / 3600.0


def erlang_b(desks: int, a: float) -> float:
    """The chance that all `desks` are busy with no queue (loss system), B(c, a)."""
    b = 1.0
    for k in range(1, desks + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(desks: int, a: float) -> float:
    """The chance that a citizen has to wait, C(c, a); 1 when the desks cannot keep up."""
    if a <= 0:
        return 0.0
    if desks <= a:
        return 1.0
    b = erlang_b(desks, a)
    return desks * b / (desks - a * (1 - b))


def wait_beyond(desks: int, a: float, service_s: float, wait_s: float) -> float:
    """The chance that a citizen waits longer than `wait_s`."""
    if a <= 0:
        return 0.0
    if desks <= a or service_s <= 0:
        return 1.0 if desks <= a else 0.0
    return erlang_c(desks, a) * math.exp(-(desks - a) * wait_s / service_s)


def mean_wait_s(desks: int, a: float, service_s: float) -> float | None:
    """The average wait in seconds; None when the desks cannot keep up (the queue grows)."""
    if a <= 0:
        return 0.0
    if desks <= a:
        return None
    return erlang_c(desks, a) * service_s / (desks - a)


def desks_needed(per_hour: float, service_s: float, target_s: float) -> int:
    """The fewest desks that serve `SERVICE_LEVEL` of the citizens within `target_s`."""
    if per_hour <= 0:
        return 0
    a = traffic(per_hour, service_s)
    desks = max(1, math.floor(a) + 1)
    while desks < MAX_DESKS and wait_beyond(desks, a, service_s, target_s) > 1 - SERVICE_LEVEL:
        desks += 1
    return desks
