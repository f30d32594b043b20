"""The circuit breaker's states (tools/breaker.py), on a clock the test moves."""

import threading

import pytest

from tools.breaker import BreakerOpen, BreakerState, CircuitBreaker

ORIGIN = "https://crm.example.com"


@pytest.fixture
def clock():
    return [0.0]


@pytest.fixture
def breaker(clock):
    return CircuitBreaker(failures_to_open=lambda: 3, cooldown_seconds=lambda: 10, clock=lambda: clock[0])


def test_failures_below_the_threshold_keep_it_closed_and_a_success_resets_the_count(breaker):
    for _ in range(2):
        breaker.admit(ORIGIN)
        breaker.failed(ORIGIN)
    breaker.succeeded(ORIGIN)
    for _ in range(2):
        breaker.admit(ORIGIN)
        breaker.failed(ORIGIN)
    assert breaker.state(ORIGIN) == BreakerState.CLOSED


def test_the_threshold_opens_it_and_calls_fail_fast_with_the_time_left(breaker, clock):
    for _ in range(3):
        breaker.admit(ORIGIN)
        breaker.failed(ORIGIN)
    assert breaker.state(ORIGIN) == BreakerState.OPEN
    clock[0] = 4
    with pytest.raises(BreakerOpen) as refused:
        breaker.admit(ORIGIN)
    assert refused.value.retry_after == 6
    breaker.admit("https://other.example.com")  # another upstream is not affected


def test_after_the_cool_down_exactly_one_probe_goes_through(breaker, clock):
    for _ in range(3):
        breaker.failed(ORIGIN)
    clock[0] = 10
    assert breaker.state(ORIGIN) == BreakerState.HALF_OPEN
    admitted, refused = [], []

    def attempt():
        try:
            breaker.admit(ORIGIN)
            admitted.append(1)
        except BreakerOpen:
            refused.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(admitted), len(refused)) == (1, 7)


def test_a_failed_probe_opens_it_again_and_a_good_one_closes_it(breaker, clock):
    for _ in range(3):
        breaker.failed(ORIGIN)
    clock[0] = 10
    breaker.admit(ORIGIN)
    breaker.failed(ORIGIN)  # one failure is enough while half-open
    assert breaker.state(ORIGIN) == BreakerState.OPEN
    with pytest.raises(BreakerOpen):
        breaker.admit(ORIGIN)
    clock[0] = 20
    breaker.admit(ORIGIN)
    breaker.succeeded(ORIGIN)
    assert breaker.state(ORIGIN) == BreakerState.CLOSED
    breaker.admit(ORIGIN)
