"""ussl_build - the in-tree PEP 517 build backend of the CPython module.

`pip install .` (offline: it needs no other package) configures the
project's CMake build in a temporary directory, builds the `ussl`
extension and puts it, with the pure-Python `ussl_asyncio` helper that
`ussl.asyncio` loads, into a wheel.

The engine is chosen with `--config-settings engine=...` or the USSL_ENGINE
environment variable:
    openssl         the system's OpenSSL 3 (libssl-dev)          [default]
    mbedtls         mbedTLS 3.6 built in (Debian's source package)
    mbedtls-system  the system's mbedTLS (libmbedtls-dev, 2.28 on Debian 12)
"""
import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

NAME = "ussl"
SUMMARY = "TLS for any stream socket, with MicroPython's ussl API"
ENGINES = {
    "openssl": ["-DUSSL_ENGINE=openssl"],
    "mbedtls": ["-DUSSL_ENGINE=mbedtls", "-DUSSL_MBEDTLS=bundled"],
    "mbedtls-system": ["-DUSSL_ENGINE=mbedtls", "-DUSSL_MBEDTLS=system"],
}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(ussl VERSION ([0-9.]+)", f.read())
    if not m:
        raise RuntimeError("no version in CMakeLists.txt")
    return m.group(1)


def _engine(config_settings):
    engine = (config_settings or {}).get("engine") or \
        os.environ.get("USSL_ENGINE") or "openssl"
    if engine not in ENGINES:
        raise ValueError("engine %r: choose one of %s"
                         % (engine, ", ".join(sorted(ENGINES))))
    return engine


def _tag():
    impl = "cp%d%d" % sys.version_info[:2]
    if sys.implementation.name != "cpython":
        raise RuntimeError("the ussl module is built for CPython only")
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, impl, plat)


def _metadata(version, engine):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\n"
            "Requires-Python: >=3.8\n"
            "Keywords: tls,ssl,micropython,mbedtls,openssl\n\n"
            "The ussl C library as a CPython module (engine: %s).\n"
            % (NAME, version, SUMMARY, engine))


def _run(cmd):
    print("ussl_build: " + " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, stdout=sys.stderr)


def _build_extension(engine, tmp):
    build = os.path.join(tmp, "build")
    _run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
          "-DPython3_EXECUTABLE=" + sys.executable] + ENGINES[engine])
    _run(["cmake", "--build", build, "--target", "ussl_python",
          "-j", os.environ.get("JOBS", "2")])
    out = os.path.join(build, "python")
    ext = [f for f in os.listdir(out)
           if f.startswith("ussl.") and f.endswith(sysconfig.get_config_var("EXT_SUFFIX"))]
    if len(ext) != 1:
        raise RuntimeError("the build made no ussl extension in " + out)
    return os.path.join(out, ext[0])


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest())
    return "%s,sha256=%s,%d" % (arcname, digest.rstrip(b"=").decode(), len(data))


def _dist_info_files(version, engine, tag):
    return {
        "METADATA": _metadata(version, engine).encode(),
        "WHEEL": ("Wheel-Version: 1.0\nGenerator: ussl_build\n"
                  "Root-Is-Purelib: false\nTag: %s\n" % tag).encode(),
        "top_level.txt": b"ussl\nussl_asyncio\n",
    }


# --- PEP 517 hooks ----------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    version, engine = _version(), _engine(config_settings)
    dist_info = "%s-%s.dist-info" % (NAME, version)
    path = os.path.join(metadata_directory, dist_info)
    os.makedirs(path, exist_ok=True)
    for name, data in _dist_info_files(version, engine, _tag()).items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version, engine, tag = _version(), _engine(config_settings), _tag()
    dist_info = "%s-%s.dist-info" % (NAME, version)
    wheel_name = "%s-%s-%s.whl" % (NAME, version, tag)
    with tempfile.TemporaryDirectory(prefix="ussl-build-") as tmp:
        ext = _build_extension(engine, tmp)
        files = []
        with open(ext, "rb") as f:
            files.append((os.path.basename(ext), f.read()))
        with open(os.path.join(ROOT, "python", "ussl_asyncio.py"), "rb") as f:
            files.append(("ussl_asyncio.py", f.read()))
        for name, data in _dist_info_files(version, engine, tag).items():
            files.append((dist_info + "/" + name, data))
        record = [_record_line(n, d) for n, d in files]
        record.append(dist_info + "/RECORD,,")
        files.append((dist_info + "/RECORD", ("\n".join(record) + "\n").encode()))
        path = os.path.join(wheel_directory, wheel_name)
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in files:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = (0o755 if name.endswith(".so") else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    version = _version()
    base = "%s-%s" % (NAME, version)
    skip = re.compile(r"^(\.git|build[^/]*|bench/out|__pycache__)(/|$)")
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for dirpath, dirnames, filenames in os.walk(ROOT):
            rel_dir = os.path.relpath(dirpath, ROOT)
            rel_dir = "" if rel_dir == "." else rel_dir
            dirnames[:] = sorted(d for d in dirnames
                                 if not skip.match(os.path.join(rel_dir, d)))
            for fn in sorted(filenames):
                rel = os.path.join(rel_dir, fn)
                if not skip.match(rel) and not fn.endswith((".pyc", ".pyo")):
                    tar.add(os.path.join(ROOT, rel), arcname=base + "/" + rel)
        info = tarfile.TarInfo(base + "/PKG-INFO")
        data = _metadata(version, "chosen at build time").encode()
        info.size = len(data)
        import io
        tar.addfile(info, io.BytesIO(data))
    return name


if __name__ == "__main__":
    # Not a user entry point: `pip install .` calls the hooks above.
    shutil.which("cmake") or sys.exit("cmake not found")
    print(build_wheel(sys.argv[1] if len(sys.argv) > 1 else "."))
