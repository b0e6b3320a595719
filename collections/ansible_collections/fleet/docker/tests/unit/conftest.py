"""Make `ansible_collections.fleet.docker` importable from the repository checkout."""
import os
import sys

_COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
if _COLLECTIONS not in sys.path:
    sys.path.insert(0, _COLLECTIONS)
