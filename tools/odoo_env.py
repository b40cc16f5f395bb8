#!/usr/bin/env python3
"""Bring Odoo 18.0 Community in, outside the repository, and print its Python.

``run_tests.sh`` and ``run_demo.sh`` call ``python3 tools/odoo_env.py ensure``:
it prints, on its last stdout line, the interpreter to run Odoo with, and
everything else on stderr. Standard library only, so that it runs on a fresh
machine before anything is installed.

Where Odoo comes from (``OTC_ODOO_SOURCE``):

* a directory holding Odoo's source (``odoo/release.py`` in it or one level
  down): used in place, never copied;
* a ``.tar.gz`` of Odoo's source (Odoo's own ``odoo_18.0.*.tar.gz`` releases,
  or ``../shared/odoo/odoo-18.0-20250925-otc.tar.gz`` on this project's
  machines), extracted into the cache;
* an ``http(s)://`` URL of such a tarball, downloaded into the cache once.

Default: the archive beside the repository when it exists
(``../shared/odoo/``, checked against its ``SHA256SUMS``), otherwise Odoo's
official 18.0 nightly source release.

Where it goes: ``$OTC_CACHE`` (default ``$XDG_CACHE_HOME/otc`` or
``~/.cache/otc``) / ``odoo18-<source sha256>-py<X.Y>-<requirements sha>``,
holding ``src/`` (the extracted source) and ``venv/`` (a virtual environment
with ``requirements.txt`` installed and a ``.pth`` file that makes the source
importable). The directory is complete only once its ``.complete`` stamp is
written, last; a directory without it is removed and built again, so an
interrupted or failed install is never trusted. A lock file serialises two
runs building the same environment. A second run finds the stamp and answers
in well under a second.

``OTC_PYTHON``, when set, is used as it is: it must already import Odoo 18.0.

Every problem (missing path, a tarball that is not Odoo 18.0, an unreachable
URL, a failing pip install) ends the script with exit code 2 and one line
``odoo_env: <what is wrong> (<what to set>)`` on stderr.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO_DIR / "requirements.txt"
SHARED_TARBALL = REPO_DIR.parent / "shared" / "odoo" / "odoo-18.0-20250925-otc.tar.gz"
OFFICIAL_URL = "https://nightly.odoo.com/18.0/nightly/tgz/odoo_18.0.latest.tar.gz"
SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12))


class EnvError(Exception):
    """A problem the user must fix; printed as one line."""


def log(msg):
    print(f"odoo_env: {msg}", file=sys.stderr, flush=True)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_root():
    if os.environ.get("OTC_CACHE"):
        return Path(os.environ["OTC_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "otc"


def odoo_version_of(root):
    """(major, minor) read from ``odoo/release.py`` without importing it."""
    release = Path(root) / "odoo" / "release.py"
    match = re.search(
        r"^version_info\s*=\s*\(\s*(?:'saas~)?(\d+)'?\s*,\s*(\d+)",
        release.read_text(encoding="utf-8", errors="replace"),
        re.MULTILINE,
    )
    if not match:
        raise EnvError(f"{release} holds no version_info: not Odoo's source")
    return int(match.group(1)), int(match.group(2))


def find_source_root(path):
    """The directory holding ``odoo/release.py``: ``path`` or one level down."""
    path = Path(path)
    if (path / "odoo" / "release.py").is_file():
        return path
    for child in sorted(path.iterdir()) if path.is_dir() else ():
        if (child / "odoo" / "release.py").is_file():
            return child
    return None


def check_odoo_18(root, what):
    version = odoo_version_of(root)
    if version != (18, 0):
        raise EnvError(
            f"{what} is Odoo {version[0]}.{version[1]}, not 18.0 "
            "(set OTC_ODOO_SOURCE to Odoo 18.0 source: a directory, .tar.gz or URL)"
        )
    if not (root / "odoo" / "addons" / "base" / "__manifest__.py").is_file():
        raise EnvError(f"{what} has no odoo/addons/base: not a complete Odoo source")


# ------------------------------------------------------------------ source
def resolve_source():
    """(kind, location, what to call it in messages)."""
    value = os.environ.get("OTC_ODOO_SOURCE", "").strip()
    if value:
        label = f"OTC_ODOO_SOURCE={value}"
    elif SHARED_TARBALL.is_file():
        value, label = str(SHARED_TARBALL), f"{SHARED_TARBALL} (default)"
    else:
        value, label = OFFICIAL_URL, f"{OFFICIAL_URL} (default)"
    if re.match(r"^https?://", value):
        return "url", value, label
    path = Path(value).expanduser()
    if not path.exists():
        raise EnvError(
            f"{label}: no such file or directory "
            "(set OTC_ODOO_SOURCE to Odoo 18.0 source: a directory, .tar.gz or URL)"
        )
    if path.is_dir():
        return "dir", path.resolve(), label
    if not tarfile.is_tarfile(path):
        raise EnvError(
            f"{label}: not a directory nor a tar archive "
            "(set OTC_ODOO_SOURCE to Odoo 18.0 source: a directory, .tar.gz or URL)"
        )
    return "tar", path.resolve(), label


def verify_sums(tarball, digest):
    """Check a tarball against a ``SHA256SUMS`` file beside it, if any."""
    sums = Path(tarball).with_name("SHA256SUMS")
    if not sums.is_file():
        return
    for line in sums.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == Path(tarball).name:
            if parts[0].lower() != digest:
                raise EnvError(
                    f"{tarball}: checksum {digest[:12]}... does not match "
                    f"{sums} ({parts[0][:12]}...): the archive is damaged"
                )
            return


def download(url, cache):
    """Download ``url`` once into the cache; return the file's path."""
    downloads = cache / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    target = downloads / (hashlib.sha256(url.encode()).hexdigest()[:16] + ".tar.gz")
    if target.is_file() and not os.environ.get("OTC_REFRESH"):
        return target
    log(f"downloading {url} ...")
    fd, tmp = tempfile.mkstemp(dir=downloads, suffix=".part")
    try:
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(url, timeout=60) as resp,  # noqa: S310
        ):
            shutil.copyfileobj(resp, out, 1 << 20)
        if not tarfile.is_tarfile(tmp):
            raise EnvError(f"OTC_ODOO_SOURCE={url}: the download is not a tar archive")
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise EnvError(
            f"OTC_ODOO_SOURCE={url}: cannot download ({reason}); set OTC_ODOO_SOURCE "
            "to a reachable URL, a local .tar.gz or a directory of Odoo 18.0 source"
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return target


def extract(tarball, dest):
    """Extract a source tarball into ``dest``; return the source root."""
    with tarfile.open(tarball) as tar:
        kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest, **kwargs)  # noqa: S202 (data filter where available)
    root = find_source_root(dest)
    if root is None:
        raise EnvError(
            f"{tarball}: holds no odoo/release.py: not Odoo's source "
            "(set OTC_ODOO_SOURCE to Odoo 18.0 source: a directory, .tar.gz or URL)"
        )
    return root


# ------------------------------------------------------------------ venv
def python_tag(python):
    out = subprocess.run(
        [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def run(cmd, what):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        for line in tail:
            log(f"  | {line}")
        raise EnvError(f"{what} failed (exit {proc.returncode}); see the lines above")
    return proc.stdout


def venv_python(env_dir):
    return env_dir / "venv" / "bin" / "python"


def odoo_imports(python, expect_root=None):
    code = (
        "import odoo.release as r, odoo, os, sys\n"
        "assert r.version_info[:2] == (18, 0), r.version_info\n"
        "print(os.path.dirname(os.path.dirname(odoo.__file__)))\n"
    )
    proc = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    if proc.returncode:
        return False
    return expect_root is None or Path(proc.stdout.strip()) == Path(expect_root)


def build(env_dir, kind, location, label, base_python):
    """Build ``env_dir`` from scratch; the stamp is written last."""
    started = time.monotonic()
    env_dir.mkdir(parents=True)
    if kind == "dir":
        root = find_source_root(location)
        if root is None:
            raise EnvError(
                f"{label}: holds no odoo/release.py: not Odoo's source "
                "(set OTC_ODOO_SOURCE to Odoo 18.0 source: a directory, .tar.gz or URL)"
            )
    else:
        log(f"extracting {location} ...")
        root = extract(location, env_dir / "src")
    check_odoo_18(root, label)

    log(f"creating a virtual environment with {base_python} ...")
    run([base_python, "-m", "venv", str(env_dir / "venv")], "python -m venv")
    python = str(venv_python(env_dir))
    log(f"installing {REQUIREMENTS.name} from PyPI (a few minutes, once) ...")
    run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            "-r",
            str(REQUIREMENTS),
        ],
        f"pip install -r {REQUIREMENTS}",
    )
    site = run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        "reading the venv's site-packages",
    ).strip()
    Path(site, "otc_odoo_source.pth").write_text(f"{root}\n")
    if not odoo_imports(python, root):
        raise EnvError(f"{label}: 'import odoo' fails in the new environment")
    stamp = {
        "source": str(location),
        "source_root": str(root),
        "python": python,
        "built_in_seconds": round(time.monotonic() - started, 1),
    }
    (env_dir / ".complete").write_text(json.dumps(stamp, indent=2) + "\n")
    log(f"ready in {stamp['built_in_seconds']} s: {env_dir}")
    return python


@contextlib.contextmanager
def locked(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def ensure():
    """Return the interpreter that runs Odoo, building its venv if needed."""
    given = os.environ.get("OTC_PYTHON", "").strip()
    if given:
        if not shutil.which(given) and not Path(given).is_file():
            raise EnvError(f"OTC_PYTHON={given}: no such interpreter")
        if not odoo_imports(given):
            raise EnvError(
                f"OTC_PYTHON={given}: 'import odoo' (18.0) fails with it "
                "(unset OTC_PYTHON to let run_tests.sh install Odoo itself)"
            )
        return given

    base_python = os.environ.get("OTC_BASE_PYTHON") or sys.executable
    tag = python_tag(base_python)
    if tuple(int(x) for x in tag.split(".")) not in SUPPORTED_PYTHONS:
        raise EnvError(
            f"Python {tag} ({base_python}) cannot run Odoo 18.0 "
            "(set OTC_BASE_PYTHON to a Python 3.10, 3.11 or 3.12)"
        )
    cache = cache_root()
    kind, location, label = resolve_source()
    if kind == "url":
        location = download(location, cache)
    if kind == "dir":
        source_key = hashlib.sha256(str(location).encode()).hexdigest()
    else:
        source_key = sha256_file(location)
        verify_sums(location, source_key)
    req_key = sha256_file(REQUIREMENTS)[:8]
    env_dir = cache / f"odoo18-{source_key[:12]}-py{tag}-{req_key}"
    with locked(cache / f"{env_dir.name}.lock"):
        python = venv_python(env_dir)
        if (env_dir / ".complete").is_file():
            stamp = json.loads((env_dir / ".complete").read_text())
            if odoo_imports(python, stamp.get("source_root")):
                return str(python)
            log(f"{env_dir} is stale (Odoo no longer imports): building it again")
        if env_dir.exists():
            log(f"removing an incomplete environment: {env_dir}")
            shutil.rmtree(env_dir)
        try:
            return build(env_dir, kind, location, label, base_python)
        except BaseException:
            shutil.rmtree(env_dir, ignore_errors=True)
            raise


def main(argv):
    command = argv[1] if len(argv) > 1 else "ensure"
    if command not in ("ensure", "where"):
        print("usage: odoo_env.py [ensure | where]", file=sys.stderr)
        return 2
    if command == "where":
        print(cache_root())
        return 0
    try:
        print(ensure())
    except EnvError as exc:
        log(str(exc))
        return 2
    except KeyboardInterrupt:
        log("interrupted; nothing half-installed was kept")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
