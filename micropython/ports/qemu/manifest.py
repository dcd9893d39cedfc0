# manifest.py - modules frozen into the qemu firmware that scripts/
# micropython/qemu.sh builds (its FROZEN_MANIFEST): ussl's test scripts
# that need no network, the port's own test and benchmark, the test
# environment (frozen/qemu_env.py), and the test certificates.
#
# qemu.sh writes qemu_files.py (the certificates of tests/certs/mkcerts.sh)
# into the directory named by the environment variable
# USSL_QEMU_FILES_DIR, and freezes this same set into every firmware it
# builds (with ussl, with the stock module, without TLS), so that their
# sizes differ by TLS alone.  Paths are relative to this file.
import os

freeze("../../../tests/micropython",
       ("mptest.py", "test_memio.py", "test_errors.py", "test_policy.py"))
freeze("frozen", ("qemu_env.py", "test_port.py", "test_features.py",
                  "bench_handshake.py"))
freeze(os.environ["USSL_QEMU_FILES_DIR"], "qemu_files.py")
