"""Every module's DOCUMENTATION, EXAMPLES and RETURN are YAML that ansible-doc can render.

ansible-doc exits 0 even when it cannot parse a module's documentation, so this is where a
broken block (for example a ': ' in a plain scalar) is caught.
"""

import importlib
import os

import pytest
import yaml

MODULES_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "modules")
MODULES = sorted(f[:-3] for f in os.listdir(MODULES_DIR) if f.endswith(".py") and not f.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_documentation_parses(name):
    mod = importlib.import_module("ansible_collections.fleet.docker.plugins.modules." + name)
    doc = yaml.safe_load(mod.DOCUMENTATION)
    assert doc["module"] == name
    assert doc["short_description"] and doc["description"]
    assert isinstance(yaml.safe_load(mod.EXAMPLES), list)
    assert isinstance(yaml.safe_load(mod.RETURN) or {}, dict)
