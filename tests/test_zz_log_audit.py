"""Runs last (file order): the logs of the whole run hold no secret (tests/log_audit.py)."""
import logging

from tests import log_audit


def test_the_detector_finds_each_kind_of_secret():
    samples = ["login with famille-lena-16122", "hash $argon2id$v=19$m=8,t=1,p=1$abc",
               "link /reinitialiser/eyJ1IjozLCJmIjoiNDM0In0.awzLbw.rtzJ2KFBGioWhZeHRtuIO1Z37_E",
               "Cookie: session=eyJfZnJlc2giOmZhbHNlfQ.Zx", "key test-secret-key",
               "allergies=Arachide"]
    assert len({what for what, _ in log_audit.leaks(samples)}) == len(log_audit.SECRETS)


def test_the_handler_keeps_the_portals_records():
    logging.getLogger("domain.mail").warning("Mail %s not sent: %s", 1, "SMTPServerDisconnected")
    assert any("Mail 1 not sent" in text for text in log_audit.RECORDS)


def test_no_secret_in_the_logs_of_the_whole_run():
    assert log_audit.RECORDS, "no record kept: is log_audit.install() called by conftest?"
    assert log_audit.leaks() == []
