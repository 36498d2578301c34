"""What identifies an extract file's contents: its fingerprint, step 1 of ingestion.

:func:`fingerprint` reads the file once for its SHA-256 (what the audit log and
re-ingestion checks key on), its text encoding, and bytes no text CSV holds.
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from testbench.lake.ingest.errors import UnreadableFile
from testbench.lake.ingest.pseudonyms import safe_name

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".txt", ".tsv")
CHUNK = 1 << 22  # bytes read at a time for the fingerprint
GUESSED_ENCODING = "utf-8-sig"  # what most CSV exports are, as the fingerprint names it


@dataclass(frozen=True)
class Fingerprint:
    """What identifies a file's contents, read in one pass."""

    sha256: str  # hex SHA-256 of the file's bytes
    size: int  # bytes
    encoding: str  # "utf-8-sig" or "latin-1" for text; "" for Parquet


def file_kind(path: Path) -> str:
    """``"csv"`` or ``"parquet"``, by the file's suffix.

    Raises:
        UnreadableFile: any other suffix.
    """
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in CSV_SUFFIXES:
        return "csv"
    raise UnreadableFile(
        f"cannot ingest {safe_name(path.name)}: unknown file type {suffix or '(none)'}; "
        "export the extract as .csv (with a header row) or .parquet"
    )


def fingerprint(path: Path) -> Fingerprint:
    """SHA-256, size and text encoding of an extract file.

    Raises:
        UnreadableFile: no such file, an unknown file type, or a text file holding NUL
            bytes (UTF-16 or binary, not a CSV export).
    """
    path = Path(path)
    if not path.is_file():
        raise UnreadableFile(f"no file {safe_name(str(path))}; check the path")
    text = file_kind(path) == "csv"
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, size, nul = text, 0, False
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if text:
                nul = nul or b"\x00" in chunk
                if utf8 and not chunk.isascii():  # ASCII is UTF-8: skip the decoder
                    try:
                        decoder.decode(chunk)
                    except UnicodeDecodeError:
                        utf8 = False
    if text and utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if nul:
        raise UnreadableFile(
            f"{safe_name(path.name)} holds NUL bytes, so it is UTF-16 or binary, not a text "
            "CSV; export it again as CSV in UTF-8 (or Latin-1), or as Parquet"
        )
    encoding = ("utf-8-sig" if utf8 else "latin-1") if text else ""
    return Fingerprint(digest.hexdigest(), size, encoding)
