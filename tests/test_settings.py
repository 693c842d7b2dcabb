"""PAYGAP_DATA_DIR, PAYGAP_DATA_URL and the https-only rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from paygap_utils.data.settings import (
    DEFAULT_SECONDS,
    check_url,
    data_dir,
    http_hosts,
    mirror_file_url,
    mirror_url,
    network_limits,
)
from paygap_utils.errors import SettingsError


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PAYGAP_DATA_DIR", str(tmp_path / "here"))
    assert data_dir() == tmp_path / "here"
    assert data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_data_dir_defaults_to_the_os_cache(monkeypatch):
    monkeypatch.delenv("PAYGAP_DATA_DIR", raising=False)
    import pooch

    assert data_dir() == Path(pooch.os_cache("paygap"))


def test_mirror_url_gets_a_trailing_slash(monkeypatch):
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://127.0.0.1:9/data")
    assert mirror_url() == "http://127.0.0.1:9/data/"
    monkeypatch.setenv("PAYGAP_DATA_URL", "")
    assert mirror_url() is None


def test_mirror_urls_are_url_encoded():
    assert mirror_file_url("https://m.example/x", "A b.csv") == "https://m.example/x/A%20b.csv"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a.csv",
        "http://127.0.0.1:8000/",
        "http://localhost/",
        "http://[::1]:80/",
    ],
)
def test_allowed_urls(url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    "url", ["http://example.org/a.csv", "ftp://127.0.0.1/", "file:///etc/passwd", "https://", "x"]
)
def test_refused_urls_say_why(url):
    with pytest.raises(ValueError, match="is not https"):
        check_url(url)


def test_a_plain_http_mirror_off_this_computer_is_refused(monkeypatch):
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://192.168.1.20:8000/")
    with pytest.raises(
        ValueError, match=r"\$PAYGAP_DATA_URL 'http://192.168.1.20:8000/' is not https"
    ):
        mirror_url()


def test_a_venue_http_mirror_needs_an_explicit_opt_in(monkeypatch):
    monkeypatch.delenv("PAYGAP_ALLOW_HTTP", raising=False)
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://192.168.1.20:8000")
    with pytest.raises(ValueError, match="PAYGAP_ALLOW_HTTP=1"):
        mirror_url()
    monkeypatch.setenv("PAYGAP_ALLOW_HTTP", "1")
    assert mirror_url() == "http://192.168.1.20:8000/"


@pytest.mark.parametrize(
    "url",
    [
        "http://evil.example\\@127.0.0.1:8000/",  # urllib reads 127.0.0.1, urllib3 connects to evil
        "http://evil.example\\\\@localhost/",
        "http://127.1/",  # a loopback spelling that ipaddress does not read: refused, not guessed
    ],
)
def test_urls_are_judged_as_the_connection_reads_them(url):
    with pytest.raises(SettingsError, match="is not https"):
        check_url(url)


@pytest.mark.parametrize(
    "url", ["https://user:pw@example.org/a.csv", "http://user@127.0.0.1:8000/", "https://:@x.org/"]
)
def test_a_user_name_or_password_in_a_url_is_refused(url):
    with pytest.raises(SettingsError, match="contains a user name or password"):
        check_url(url)


def test_only_the_opted_in_mirror_may_be_plain_http(monkeypatch):
    monkeypatch.delenv("PAYGAP_ALLOW_HTTP", raising=False)
    assert http_hosts() == ()
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://192.168.1.20:8000/")
    assert http_hosts() == ()  # not opted in
    monkeypatch.setenv("PAYGAP_ALLOW_HTTP", "1")
    assert http_hosts() == ("192.168.1.20",)
    assert check_url("http://192.168.1.20:8000/x.csv", http_hosts=http_hosts())
    with pytest.raises(SettingsError):
        check_url("http://192.168.1.21:8000/x.csv", http_hosts=http_hosts())


def test_time_settings_are_read_and_checked(monkeypatch):
    monkeypatch.setenv("PAYGAP_READ_TIMEOUT", "2.5")
    assert network_limits().read == 2.5
    assert network_limits().connect == DEFAULT_SECONDS["PAYGAP_CONNECT_TIMEOUT"]
    for bad in ("soon", "0", "-1", "inf", "nan"):
        monkeypatch.setenv("PAYGAP_DOWNLOAD_DEADLINE", bad)
        with pytest.raises(SettingsError, match=r"\$PAYGAP_DOWNLOAD_DEADLINE is .* not a number"):
            network_limits()


def test_a_silent_server_fails_within_30_s_by_default():
    # A silent server costs one read timeout (timeouts are not retried, see test_faults.py);
    # a server that never accepts costs one connect timeout.
    assert (
        max(DEFAULT_SECONDS["PAYGAP_CONNECT_TIMEOUT"], DEFAULT_SECONDS["PAYGAP_READ_TIMEOUT"]) < 30
    )
