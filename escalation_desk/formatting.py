"""Small display helpers the console's and the portal's template filters both register."""

from __future__ import annotations


def filesize(size: float) -> str:
    """'3.2 MB': a file's size in the largest unit under 1,024 of it."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)
