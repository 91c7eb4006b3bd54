"""Figures as PNG bytes, for the report files (evaluation, retrain).

The matplotlib backend is chosen by the entry point (the CLI sets the non-interactive Agg
through MPLBACKEND), not here.
"""

from __future__ import annotations

import io


def png_bytes(figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes; the figure is closed, so that its memory is freed."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()
