"""memcached and redis for the benchmarks: the same launcher as the tests."""
import os

from common import harness


def start_all():
    out = {}
    for kind, (binary, _) in harness.SERVERS.items():
        if os.path.exists(binary):
            out[kind] = harness.Store(kind)
        else:
            print("bench: %s not installed, skipped (tools/install-deps.sh)" % binary)
    return out
