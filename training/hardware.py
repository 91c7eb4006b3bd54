"""What this CPU can do that changes how we train and serve."""

from __future__ import annotations

from pathlib import Path


def bf16_supported() -> bool:
    """bf16 pays on CPUs with native bf16 arithmetic (AMX or AVX512-BF16); elsewhere it is emulated and slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags
