"""Offline HTML pages of charts, with the Vega JavaScript bundle built once per version.

Altair's ``save(format="html", inline=True)`` asks vl-convert to bundle Vega, Vega-Lite and
vega-embed on every call (about 1.7 s); the bundle depends only on the versions, so it is kept
in blth's cache folder and the page is rendered from altair's own inline template.
``tests/report/test_report_html.py`` checks that the page is altair's, byte for byte.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from os import PathLike

import altair as alt
from altair.utils.html import INLINE_HTML_TEMPLATE

from blth.io import cache, safefiles

MODE = "vega-lite"


def _vl_version() -> str:
    """vl-convert's name of altair's Vega-Lite version (v6.1.0 -> v6_1)."""
    return "_".join(alt.SCHEMA_VERSION.split(".")[:2])


def bundle() -> str:
    """The inline JavaScript of a page, from the cache or built and cached."""
    key = f"vl-convert-{version('vl-convert-python')}-{_vl_version()}"
    path = cache.folder() / "vega" / f"{key}.js"
    if path.exists():
        return path.read_text()
    import vl_convert

    # called as altair calls it (the stub marks the optional snippet as required)
    script = str(vl_convert.javascript_bundle(vl_version=_vl_version()))  # type: ignore[call-arg]
    with safefiles.replacing(path) as f:  # a parallel job reads nothing or all of it
        f.write(script.encode("utf-8"))
    return script


def offline_page(chart: alt.TopLevelMixin) -> str:
    """The self-contained page altair writes for ``chart.save(..., inline=True)``."""
    return str(
        INLINE_HTML_TEMPLATE.render(
            spec=json.dumps(chart.to_dict()),
            embed_options=json.dumps({"mode": MODE}),
            mode=MODE,
            vega_version=alt.VEGA_VERSION,
            vegalite_version=alt.VEGALITE_VERSION,
            vegaembed_version=alt.VEGAEMBED_VERSION,
            base_url="https://cdn.jsdelivr.net/npm",
            output_div="vis",
            fullhtml=True,
            requirejs=False,
            vegaembed_script=bundle(),
        )
    )


def write(chart: alt.TopLevelMixin, path: str | PathLike[str]) -> None:
    """The chart's page at ``path``, replacing it only once whole (a full disk is named)."""
    with safefiles.replacing(path) as f:
        f.write(offline_page(chart).encode("utf-8"))
