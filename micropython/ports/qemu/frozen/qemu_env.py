# qemu_env.py - what ussl's MicroPython test scripts (tests/micropython)
# expect of a unix host, for the qemu firmware, which has neither files
# nor environment: the test certificates (frozen in qemu_files, made at
# build time by tests/certs/mkcerts.sh) through a read-only in-memory file
# system mounted at /data, and an `os` with getenv() naming them.
#
#   import qemu_env; qemu_env.run("test_memio")
#
# run() imports the frozen test script (which runs it) and ends with a line
# "QEMU-END name code" that the host-side runner (scripts/micropython/
# qemu_run.py) requires: a script that dies or hangs never prints it.
import io
import sys

import os as _os
import vfs

import qemu_files

MOUNT = "/data"
ENV = {
    "USSL_CERTS": MOUNT + "/certs",
    "USSL_MPCERTS": MOUNT + "/mpcerts",
}

_EROFS = 30
_ENOENT = 2
_S_IFDIR = 0x4000
_S_IFREG = 0x8000


class MemFS:
    # A read-only file system over {path: bytes} (paths without the mount
    # point, e.g. "certs/ca.pem").

    def __init__(self, files):
        self.files = files
        self.cwd = ""

    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def _path(self, path):
        path = path.strip("/")
        if self.cwd and not path.startswith(self.cwd):
            path = self.cwd + "/" + path if path else self.cwd
        return path

    def _isdir(self, path):
        if path == "":
            return True
        pre = path + "/"
        for name in self.files:
            if name.startswith(pre):
                return True
        return False

    def open(self, path, mode):
        if "w" in mode or "a" in mode or "+" in mode or "x" in mode:
            raise OSError(_EROFS)
        data = self.files.get(self._path(path))
        if data is None:
            raise OSError(_ENOENT)
        if "b" in mode:
            return io.BytesIO(data)
        return io.StringIO(data.decode())

    def stat(self, path):
        path = self._path(path)
        if path in self.files:
            return (_S_IFREG, 0, 0, 1, 0, 0, len(self.files[path]), 0, 0, 0)
        if self._isdir(path):
            return (_S_IFDIR, 0, 0, 1, 0, 0, 0, 0, 0, 0)
        raise OSError(_ENOENT)

    def ilistdir(self, path):
        path = self._path(path)
        if not self._isdir(path):
            raise OSError(_ENOENT)
        pre = path + "/" if path else ""
        seen = set()
        for name in self.files:
            if name.startswith(pre):
                rest = name[len(pre):]
                first = rest.split("/")[0]
                if first not in seen:
                    seen.add(first)
                    kind = _S_IFREG if first == rest else _S_IFDIR
                    yield (first, kind, 0)

    def chdir(self, path):
        path = self._path(path)
        if not self._isdir(path):
            raise OSError(_ENOENT)
        self.cwd = path

    def getcwd(self):
        return "/" + self.cwd if self.cwd else ""

    def statvfs(self, path):
        return (512, 512, 0, 0, 0, 0, 0, 0, 0, 255)


def getenv(key, default=None):
    return ENV.get(key, default)


class _OS:
    # `os` as the tests see it: the firmware's own, plus getenv().
    pass


for _name in dir(_os):
    if not _name.startswith("__"):
        setattr(_OS, _name, getattr(_os, _name))
_OS.getenv = getenv

try:
    vfs.mount(MemFS(qemu_files.FILES), MOUNT, readonly=True)
except OSError:
    pass  # mounted already (a second import after a soft reset keeps it)
sys.modules["os"] = _OS


def run(name):
    code = 0
    try:
        __import__(name)
    except SystemExit as e:
        code = e.args[0] if e.args else 0
        code = code if isinstance(code, int) else 1
    except Exception as e:
        sys.print_exception(e)
        code = 1
    print("QEMU-END", name, code)
