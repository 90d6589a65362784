"""Native libraries' log lines (FFmpeg, OpenCV) kept off the user's terminal, replayed with ``bench -v``.

FFmpeg and OpenCV print their own lines (``[mov,mp4,... @ 0x...] moov atom not found``, OpenCV
``VIDEOIO`` warnings) straight to file descriptor 2, past ``sys.stderr``; a corrupt video would then show
them ahead of the suite's one-line error.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Iterator

_capture_lock = threading.RLock()
_capture_depth = 0


def _verbose() -> bool:
    """The user asked for more output (``bench -v`` sets the root logger to INFO)."""
    return logging.getLogger().isEnabledFor(logging.INFO)


def quiet_native_logs() -> None:
    """Ask OpenCV and its FFmpeg backend not to log, unless the user asked for more output (``-v``).

    Both read their variables lazily (OpenCV on its first log line, FFmpeg when OpenCV first initialises
    it), so this works when called before the first video is opened; a value the user set is kept.
    Whatever is still printed is caught by :func:`native_stderr_captured`.
    """
    if _verbose():
        return
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


@contextlib.contextmanager
def native_stderr_captured() -> Iterator[None]:
    """Keep what native code writes to file descriptor 2 off the user's stderr.

    FFmpeg (``[mov,mp4,m4a,3gp,3g2,mj2 @ 0x...] moov atom not found``), OpenCV (``[ WARN:0@0.1] ...
    VIDEOIO ...``) and the image codecs write their log lines to fd 2 directly, past ``sys.stderr``, so
    they would reach the terminal ahead of the suite's one-line error. Inside this block fd 2 points at
    a temporary file; on the way out it is restored and what was caught is replayed to ``sys.stderr``
    only when the user asked for more output (``bench -v``: the root logger is enabled for INFO), else
    dropped.

    Wrap the native calls only (``VideoCapture`` open/read, ``VideoWriter`` open/write/release, image
    decoding): the redirect is process-wide, so Python writing to stderr inside the block (a progress
    bar) would be caught as well. Re-entrant; other threads wait for the block to end. Where fd 2 cannot
    be duplicated (closed), the block runs unredirected.
    """
    global _capture_depth
    with _capture_lock:
        if _capture_depth:  # nested: the outer block already captures
            _capture_depth += 1
            try:
                yield
            finally:
                _capture_depth -= 1
            return
        try:
            sys.stderr.flush()
        except (AttributeError, OSError, ValueError):
            pass
        try:
            saved = os.dup(2)
        except OSError:
            yield
            return
        sink = tempfile.TemporaryFile()
        try:
            os.dup2(sink.fileno(), 2)
        except OSError:
            os.close(saved)
            sink.close()
            yield
            return
        _capture_depth = 1
        try:
            yield
        finally:
            _capture_depth = 0
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            caught = sink.read()
            sink.close()
            if caught and _verbose():
                try:
                    sys.stderr.write(caught.decode("utf-8", "replace"))
                    sys.stderr.flush()
                except (AttributeError, OSError, ValueError):
                    pass
