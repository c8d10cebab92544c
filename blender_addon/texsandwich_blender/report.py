"""The end-of-export report: bytes before/after per texture and in total, shaded PSNR per material.

Built from the CLI's ``material`` events (pure Python; the operators put the text in a Blender text
block named :data:`TEXT_NAME` and the summary in the status bar).
"""

from __future__ import annotations

TEXT_NAME = "texsandwich report"


def human_bytes(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def _psnr(v: float | None) -> str:
    return "identical" if v is None else f"{v:.2f} dB"


def format_report(materials: list[dict], notes: list[str], title: str) -> tuple[str, str]:
    """(full text, one-line summary) of an export's material events."""
    lines = [title, ""]
    total_in = total_out = 0
    for m in materials:
        lines.append(f"material {m['name']}: {m['recipe']}"
                     + (f" ({', '.join(f'{k} {v}' for k, v in m['recipes'].items())})" if m.get("recipes") else "")
                     + f", shaded PSNR {_psnr(m['shaded_psnr'])}"
                     + (f", quality {m['quality']}" if m.get("quality") is not None else ""))
        by_tsw: dict[str, list[dict]] = {}
        for t in m["textures"]:
            by_tsw.setdefault(t["tsw"], []).append(t)
        for tsw, texs in by_tsw.items():
            for t in texs:
                lines.append(f"    {t['role']:10s} {t['name']:40s} {human_bytes(t['bytes_in']):>12s}")
            lines.append(f"    {'->':10s} {tsw:40s} {human_bytes(_tsw_bytes(m, tsw)):>12s}")
        ratio = m["bytes_in"] / m["bytes_out"] if m["bytes_out"] else 0.0
        lines.append(f"    total {human_bytes(m['bytes_in'])} -> {human_bytes(m['bytes_out'])} ({ratio:.1f}x)")
        total_in += m["bytes_in"]
        total_out += m["bytes_out"]
    ratio = total_in / total_out if total_out else 0.0
    summary = (f"texsandwich: {len(materials)} material(s), textures {human_bytes(total_in)} -> "
               f"{human_bytes(total_out)} ({ratio:.1f}x smaller)")
    if materials:
        worst = min((m["shaded_psnr"] for m in materials if m["shaded_psnr"] is not None), default=None)
        if worst is not None:
            summary += f", lowest shaded PSNR {worst:.2f} dB"
    lines += ["", summary]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines) + "\n", summary


def _tsw_bytes(material: dict, tsw: str) -> int:
    """Bytes of one ``.tsw`` of a material (a material-recipe file holds all of it)."""
    sizes = material.get("tsw_bytes") or {}
    if tsw in sizes:
        return sizes[tsw]
    return material["bytes_out"] if len(material["tsw"]) <= 1 else 0
