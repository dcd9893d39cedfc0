# coverage_manifest.py - frozen modules of the unix coverage builds made by
# scripts/micropython/unix.sh.  The coverage variant's own manifest also
# requires micropython-lib's `ssl`, which Debian's source leaves out (the
# module provides `ssl` itself); asyncio is added so that the asyncio TLS
# tests run on the coverage binaries.
freeze_as_str("$(PORT_DIR)/variants/coverage/frzstr")
freeze_as_mpy("$(PORT_DIR)/variants/coverage/frzmpy")
freeze_mpy("$(MPY_DIR)/tests/frozen")
include("$(MPY_DIR)/extmod/asyncio")
