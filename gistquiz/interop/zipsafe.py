"""Reading an untrusted zip (an Anki package) without letting it write outside its folder or fill the disk.

A package is a file someone sent you. Before anything is read:

* every member name must be a plain relative name (no ``..``, no absolute
  path, no drive letter, no backslash): a package that tries path traversal is
  refused as a whole rather than "cleaned", since it was built to attack;
* a member is read only if its declared size is under :data:`MAX_MEMBER_BYTES`,
  and, when large, its compression ratio under :data:`MAX_RATIO` (a zip bomb
  expands a few kilobytes into gigabytes); everything read together stays
  under :data:`MAX_TOTAL_BYTES`, and the bytes are counted while they stream,
  in case the sizes in the zip's headers lie.

Media file names (Anki keeps them in a ``media`` map, not as member names) are
made safe with :func:`media_name`: path traversal is refused, and names that
Windows reserves (``CON``, ``NUL``, ``COM1``...) or cannot store are changed.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, BinaryIO

from gistquiz.errors import UserError

MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 2 * 2**30
MAX_TOTAL_BYTES = 4 * 2**30
MEDIA_LIMIT_MIB = 1024
"""Default bound on the media one import unpacks, in total (``gistquiz import --max-media MIB`` raises it)."""
MEDIA_FILE_LIMIT_MIB = 100
"""Default bound on one media file: AnkiWeb does not sync a bigger one either (``--max-media`` raises it too)."""
MAX_RATIO = 100
RATIO_FLOOR = 4 * 2**20
"""Below this size a member may compress as well as it likes (small SQLite files are mostly zeros)."""
CHUNK = 1 << 20

_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"COM{i}" for i in "123456789¹²³"}
    | {f"LPT{i}" for i in "123456789¹²³"}
)
_UNSTORABLE = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_DRIVE = re.compile(r"^[A-Za-z]:")


class PackageError(UserError):
    """A package that cannot be imported: one line, and nothing is written."""


def traversal(name: str) -> bool:
    """Whether a name from a package tries to leave its folder."""
    if not name or "\x00" in name:
        return True
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    parts = re.split(r"[\\/]", name)
    return any(p == ".." for p in parts)


def media_name(name: str, source: str) -> str:
    """A media file name safe to create in a folder on any OS.

    Raises
    ------
    PackageError
        If the name tries path traversal (``..``, an absolute path, a separator):
        Anki never writes such names, so the package is refused.
    """
    if traversal(name) or "/" in name or "\\" in name:
        raise PackageError(f"{source}: refusing a package with an unsafe media file name {name!r} (path traversal)")
    safe = _UNSTORABLE.sub("_", name).rstrip(" .")
    if safe.startswith("."):
        safe = "_" + safe[1:]
    stem = safe.split(".", 1)[0].upper()
    if stem in _RESERVED:
        safe = "_" + safe
    encoded = safe.encode("utf-8")
    if len(encoded) > 200:
        suffix = Path(safe).suffix[:20]
        safe = encoded[: 200 - len(suffix.encode())].decode("utf-8", "ignore") + suffix
    return safe or "_"


class SafeZip:
    """A zip opened for reading with the checks above. Use as a context manager."""

    def __init__(self, path: Path, label: str | None = None, extra_bytes: int = 0):
        self.path = path
        self.label = label or str(path)
        self.total = 0
        self.limit = MAX_TOTAL_BYTES + extra_bytes
        """Everything read together; ``extra_bytes`` for media allowed beyond the default."""
        try:
            self.zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile as err:
            raise PackageError(f"{self.label}: not a valid Anki package (corrupt zip: {err})") from None
        except OSError as err:
            raise PackageError(f"{self.label}: cannot read: {err.strerror or err}") from None
        try:
            self.infos = {i.filename: i for i in self.zip.infolist()}
            if len(self.infos) > MAX_MEMBERS:
                raise PackageError(f"{self.label}: too many files in the package ({len(self.infos)})")
            for name, info in self.infos.items():
                if info.flag_bits & 0x1:
                    raise PackageError(
                        f"{self.label}: '{name}' is encrypted (Anki never encrypts a package): "
                        "export the deck from Anki again"
                    )
                if traversal(name):
                    raise PackageError(
                        f"{self.label}: refusing a package with an unsafe file name {name!r} (path traversal)"
                    )
        except BaseException:
            self.zip.close()
            raise

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.zip.close()

    def names(self) -> set[str]:
        return set(self.infos)

    def _check(self, name: str) -> zipfile.ZipInfo:
        info = self.infos[name]
        if info.file_size > max(MAX_MEMBER_BYTES, self.limit - MAX_TOTAL_BYTES):
            raise PackageError(f"{self.label}: '{name}' is too large ({info.file_size // 2**20} MiB unpacked)")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackageError(
                f"{self.label}: '{name}' expands {info.file_size // max(info.compress_size, 1)}x "
                f"(limit {MAX_RATIO}x): refusing a possible zip bomb"
            )
        if self.total + info.file_size > self.limit:
            raise PackageError(f"{self.label}: the package unpacks to more than {self.limit // 2**30} GiB")
        return info

    @contextmanager
    def open(self, name: str) -> Iterator[IO[bytes]]:
        """A member's bytes as a stream, counted against the limits as they are read."""
        info = self._check(name)
        try:
            with self.zip.open(info) as raw:
                yield _Counted(raw, self, name)
        except (zipfile.BadZipFile, zlib.error, EOFError) as err:
            raise PackageError(f"{self.label}: not a valid Anki package (corrupt zip: {err})") from None
        except NotImplementedError as err:
            raise PackageError(f"{self.label}: '{name}' uses an unsupported zip compression ({err})") from None

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def copy(self, name: str, dest: BinaryIO) -> int:
        n = 0
        with self.open(name) as f:
            while chunk := f.read(CHUNK):
                dest.write(chunk)
                n += len(chunk)
        return n

    def count(self, n: int) -> None:
        """Count ``n`` more bytes unpacked (also from a second layer, such as zstd inside the zip)."""
        self.total += n
        if self.total > self.limit:
            raise PackageError(f"{self.label}: the package unpacks to more than {self.limit // 2**30} GiB")


class _Counted:
    """A read-only stream that counts what it hands out against the package's total."""

    def __init__(self, raw: IO[bytes], owner: SafeZip, name: str):
        self.raw = raw
        self.owner = owner
        self.name = name
        self.seen = 0
        self.declared = owner.infos[name].file_size

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.seen += len(data)
        if self.seen > self.declared:
            raise PackageError(f"{self.owner.label}: '{self.name}' is larger than its zip header says: corrupt")
        self.owner.count(len(data))
        return data
