"""The cluster tests run against a real OpenSearch node, not a stand-in."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.cluster


def test_the_test_node_is_opensearch_2_19_with_the_modules_detection_needs(
    opensearch_url: str,
) -> None:
    with urllib.request.urlopen(opensearch_url) as response:
        info = json.load(response)
    assert info["version"]["distribution"] == "opensearch"
    assert info["version"]["number"] == "2.19.6"
    with urllib.request.urlopen(f"{opensearch_url}/_nodes/plugins") as response:
        nodes = json.load(response)["nodes"].values()
    plugins = {plugin["name"].rsplit(".", 1)[-1] for node in nodes for plugin in node["plugins"]}
    assert plugins == {"Netty4Plugin", "PainlessPlugin", "CommonAnalysisPlugin"}
