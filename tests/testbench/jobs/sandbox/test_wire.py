"""The formats on the sandbox's edges, and the package's public names."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import testbench.jobs.sandbox as sandbox
from testbench.jobs.sandbox import SandboxOutputRefused, wire


def _stream(*blobs: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    buffer.write(wire.MAGIC)
    for name, data in blobs:
        wire.write_blob(buffer, name, data)
    return buffer.getvalue()


def test_blobs_the_runner_writes_are_read_back() -> None:
    prediction = np.array([0.25, 0.75])
    blobs = wire.read_blobs(
        _stream((wire.READY, b""), ("0/prediction/0.npy", wire.array_bytes(prediction)))
    )

    assert blobs[wire.READY] == b""
    assert wire.load_array(blobs["0/prediction/0.npy"]).tobytes() == prediction.tobytes()


def test_a_pickled_array_is_refused_not_unpickled() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([object()], dtype=object), allow_pickle=True)

    with pytest.raises(SandboxOutputRefused):
        wire.load_array(buffer.getvalue())
    with pytest.raises(SandboxOutputRefused):
        wire.load_array(pickle.dumps([1.0, 2.0]))


def test_unknown_or_repeated_blob_names_are_refused() -> None:
    for stream in (
        _stream(("../../etc/passwd", b"x")),
        _stream((wire.READY, b""), (wire.READY, b"")),
    ):
        with pytest.raises(SandboxOutputRefused):
            wire.read_blobs(stream)


@settings(max_examples=200, deadline=None)
@given(tail=st.binary(max_size=200))
def test_any_stream_is_read_or_refused_never_a_crash(tail: bytes) -> None:
    try:
        blobs = wire.read_blobs(wire.MAGIC + tail)
    except SandboxOutputRefused:
        return
    for name in blobs:
        assert name == wire.READY or name.split("/", 1)[0].isdigit()


def test_the_public_names_are_pinned() -> None:
    assert sorted(sandbox.__all__) == sorted(
        [
            "BINARY",
            "DEFAULT_ALLOWED_PREFIXES",
            "REGRESSION",
            "FitOutcome",
            "FitRequest",
            "ImportanceRequest",
            "MembershipRequest",
            "ModelCode",
            "ReleaseVerdict",
            "SandboxError",
            "SandboxLimitExceeded",
            "SandboxLimits",
            "SandboxOutputRefused",
            "SandboxUnavailable",
            "SandboxedCodeFailed",
            "check_model_release",
            "run_sandboxed",
            "run_sandboxed_batch",
            "run_unsandboxed",
            "sandbox_available",
        ]
    )
