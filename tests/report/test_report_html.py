"""Offline chart pages (blth.report.html): altair's own page, with the bundle built once."""

import altair as alt
import pandas as pd
import pytest

from blth.report import html


@pytest.fixture
def chart() -> alt.Chart:
    frame = pd.DataFrame({"remaining": [100.0, 51.2], "accuracy": [97.1, 96.8]})
    return alt.Chart(frame).mark_line().encode(x="remaining", y="accuracy")


def test_the_page_is_altairs_inline_page_byte_for_byte(chart, tmp_path, monkeypatch):
    monkeypatch.setenv("BLTH_CACHE_DIR", str(tmp_path / "cache"))
    chart.save(str(tmp_path / "altair.html"), format="html", inline=True)
    html.write(chart, tmp_path / "blth.html")
    assert (tmp_path / "blth.html").read_bytes() == (tmp_path / "altair.html").read_bytes()
    assert len(list((tmp_path / "cache" / "vega").glob("*.js"))) == 1


def test_a_cached_bundle_is_not_built_again(chart, tmp_path, monkeypatch):
    import vl_convert

    monkeypatch.setenv("BLTH_CACHE_DIR", str(tmp_path))
    first = html.offline_page(chart)

    def built_again(**_kwargs):
        raise AssertionError("the cached bundle was built again")

    monkeypatch.setattr(vl_convert, "javascript_bundle", built_again)
    assert html.offline_page(chart) == first
