"""PAYGAP_DATA_DIR, PAYGAP_DATA_URL and the https-only rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from paygap_utils.settings import check_url, data_dir, mirror_file_url, mirror_url


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
    monkeypatch.setenv("PAYGAP_DATA_URL", "http://192.168.1.20:8000")
    with pytest.raises(ValueError, match="PAYGAP_ALLOW_HTTP=1"):
        mirror_url()
    monkeypatch.setenv("PAYGAP_ALLOW_HTTP", "1")
    assert mirror_url() == "http://192.168.1.20:8000/"
