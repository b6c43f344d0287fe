"""Partial runs never look complete: the verdict `incomplete` (exit 5), checks that judged nothing, commands that
cannot start."""

from __future__ import annotations

import pytest

from conformance.assemble import NO_CALL, Outcome, aggregate, check_result
from conformance.catalogue import load_catalogue
from conformance.results import verdict
from conftest import run_cli

CATALOGUE = load_catalogue()


def _result(status: str, calls: int, finished: bool = True, req: str = "TP-AUTH-03"):
    return check_result(Outcome("t::c", "c", [req], status, calls=calls, finished=finished), CATALOGUE, "en",
                        ("TP-",))


def test_a_check_that_passed_without_a_call_is_not_run():
    assert _result("passed", calls=0).status == "not_run"
    assert _result("passed", calls=0).message_ref == NO_CALL.ref()
    assert _result("passed", calls=1).status == "passed"
    assert _result("failed", calls=0).status == "failed"  # a failure needs no call to be true


def test_a_check_that_did_not_finish_is_not_run_not_passed():
    unfinished = _result("passed", calls=3, finished=False)
    assert unfinished.status == "not_run" and "did not finish" in unfinished.message


@pytest.mark.parametrize("statuses, expected", [
    ({"TP-AUTH-03": "not_run"}, "incomplete"),
    ({"TP-AUTH-03": "skipped"}, "passed"),  # a documented skip with its reason is not "not run"
    ({"TP-AUTH-03": "not_run", "TP-AUTH-04": "failed"}, "failed"),
    ({"TP-AUTH-03": "not_run", "TP-AUTH-04": "error"}, "error"),
    ({"TP-PAGE-05": "not_run"}, "passed"),  # recommended: not running it does not make the run incomplete
])
def test_verdict_rule_with_incomplete(statuses, expected):
    checks = [_result("passed", 1, req=r) for r in CATALOGUE.ids if r not in statuses]
    for req, status in statuses.items():
        checks.append(check_result(Outcome(f"t::{req}", req, [req], status, calls=1, finished=True), CATALOGUE,
                                   "en", ("TP-",)))
    assert verdict(aggregate(CATALOGUE, checks, "en", "mock")) == expected


def test_a_selection_of_checks_is_incomplete_with_exit_5(tmp_path):
    code, results, output = run_cli("run", "--no-pdf", "--out", str(tmp_path / "o"), "--", "-k", "paging")
    assert code == 5 and results["verdict"] == "incomplete", output
    not_run = [r for r in results["requirements"] if r["status"] == "not_run"]
    assert len(not_run) == 23 and all(r["reason"] == "ingen kontroll ble valgt for dette kravet" for r in not_run)
    assert "INCOMPLETE" in output


def test_a_refused_grant_leaves_the_concurrency_check_not_run(tmp_path):
    """The token is refused: no API call is made, so TP-OPS-02 judged nothing and must not pass."""
    from servers import key_file, target_args

    from conformance.mock import seeded_state, serve
    from conformance.mock.credentials import register_client
    from conformance.profiles.trekkpaalegg.mock import EXAMPLES_ORG

    state = seeded_state(10)
    with serve(state) as running:
        creds = register_client(state, EXAMPLES_ORG)
        args = target_args(running.origin, key_file(tmp_path))  # a key the mock does not know
        args[args.index("--client-id") + 1] = creds.client_id
        args[args.index("--kid") + 1] = creds.kid
        code, results, output = run_cli("run", *args, "--no-pdf", "--lang", "en", "--out", str(tmp_path / "o"))
    assert code == 2, output  # Maskinporten refused the grant: a configuration error
    ops = next(r for r in results["requirements"] if r["id"] == "TP-OPS-02")
    assert ops["status"] == "not_run" and "no API call" in ops["reason"]


def test_a_vendor_command_that_cannot_start_is_a_configuration_error(tmp_path):
    code, results, output = run_cli("client-check", "--scenario", "empty", "--no-pdf", "--out", str(tmp_path / "o"),
                                    "--", "/nonexistent/cmd")
    assert code == 2 and "cannot start the command '/nonexistent/cmd'" in output
    assert results is None and not (tmp_path / "o").exists()
