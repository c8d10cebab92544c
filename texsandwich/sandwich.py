"""The learned sandwich: pre-net -> layout -> proxy (training) or real codec (inference) -> post-net.

:class:`Sandwich` is a :class:`~texsandwich.models.SandwichModel`, so the pipeline runs it exactly
like ``--model none``. Weights travel as fp16 safetensors with their recipe, preset, lambda, trained
step and training configuration in the metadata; a model's identity is the SHA-256 of that file.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load, save
from torch import nn

from texsandwich.adapters import ADAPTERS
from texsandwich.codecs import HEIC_TUNINGS, CodecSettings, at_quality
from texsandwich.errors import InputError, UsageError
from texsandwich.fsutil import atomic_write
from texsandwich.models import SandwichModel
from texsandwich.nets import PRESETS, Processor
from texsandwich.proxy import ImageCodecProxy
from texsandwich.recipes import RECIPES, Recipe, get_recipe

FORMAT = "texsandwich-model-1"


class Sandwich(SandwichModel):
    def __init__(self, recipe: Recipe, preset: str = "slim", step: float = 8.0, rate: str = "refit",
                 adapter: str | None = None) -> None:
        super().__init__()
        if preset not in PRESETS:
            raise UsageError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
        if adapter is not None and adapter not in ADAPTERS:
            raise UsageError(f"unknown adapter {adapter!r}; known: {', '.join(ADAPTERS)}")
        self.recipe = recipe
        self.preset = preset
        self.adapter_name = adapter or recipe.plain
        """The fixed maps the networks are residuals of: the recipe's plain adapter unless the model
        names another with the same planes (e.g. ``ycbcr420ls`` for ``rgb-420``), stored in its metadata."""
        adapter = ADAPTERS[self.adapter_name]
        planes, channels = recipe.layout.planes, len(recipe.channels)
        self.pre_net = Processor(channels, planes, PRESETS[preset], adapter.pre, positional=adapter.positional)
        self.post_net = Processor(planes, channels, PRESETS[preset], adapter.post, positional=adapter.positional)
        self.proxy = ImageCodecProxy(recipe.layout, step=step, rate=rate)
        self.model_id = f"{recipe.id}-{preset}"
        self.sha256 = "0" * 64
        self.metadata: dict[str, str] = {}
        self.residual_scale: dict[str, tuple[tuple[int, float], ...]] = {}
        """Per codec, ``(from quality, weight)`` steps scaling the post-net's residual at decode time.
        A slim post-net trained over all qualities adds error of its own where the decode is already
        good (docs/ZOO.md, ``tools/post_residual.py``); the manifest's quality says where. Fitted on
        images outside both the training and the evaluation set (``tools/fit_residual_scale.py``)."""
        self.post_bands = nn.ModuleList()
        """Extra post-nets, each refined on real decodes of one codec's quality band (see ``band_table``)."""
        self.band_table: dict[str, tuple[tuple[int, int], ...]] = {}
        """Per codec, ``(from quality, post-net)`` steps: 0 is ``post_net``, k >= 1 is ``post_bands[k - 1]``.
        One slim post-net refined over qualities 10-90 has to undo both the blocking of q10 and the fine
        ringing of q80; a copy refined on a band's decodes alone does better on that band (docs/ZOO.md).
        The decoder knows the quality from the manifest, so it costs no bits."""
        self.plane_gain = nn.Parameter(torch.ones(planes))
        """Per-plane contrast around mid-gray before the codec (undone after it): with one codec quality
        for every plane, this is how bits are shared between planes (e.g. normals vs roughness)."""

        self.heic_chroma_qp = (0, 0)
        """Chroma QP offsets for HEIC: a finer n_y (plane 1) without the code range a gain above 1 uses up."""
        self.heic_tuning = "default"
        """The x265 tuning HEIC codes this model's bottleneck with (``codecs.HEIC_TUNINGS``)."""
        self.gain_knee = False
        """Gains above 1 bend over near the code range's ends instead of clipping there (see
        :func:`knee_gain`). Off for models saved before it existed, so their files decode as coded."""

    def _gain(self) -> torch.Tensor:
        return self.plane_gain.view(1, -1, 1, 1)

    def _apply_gain(self, y: torch.Tensor, inverse: bool = False) -> torch.Tensor:
        return (knee_gain if self.gain_knee else plain_gain)(y, self._gain(), inverse=inverse)

    def pre(self, x: torch.Tensor) -> torch.Tensor:
        return self._apply_gain(self.pre_net(x))

    def residual_weight(self, codec: str | None, quality: int | None) -> float:
        """How much of the post-net's residual to apply for this codec setting (1 without a table)."""
        return at_quality(self.residual_scale.get(codec or "", ()), quality, 1.0)

    def post_index(self, codec: str | None, quality: int | None) -> int:
        """Which post-net decodes this codec setting: 0 (``post_net``) unless a band covers it."""
        return int(at_quality(self.band_table.get(codec or "", ()), quality, 0))

    def post_net_at(self, index: int) -> Processor:
        return self.post_net if index == 0 else self.post_bands[index - 1]  # type: ignore[return-value]

    def set_post_bands(self, bands: list[tuple[str, int, int]]) -> None:
        """Give the model one post-net per ``(codec, lo, hi)`` band (copies of ``post_net``) and its table.

        A band's net decodes qualities lo..hi of its codec; every other setting keeps ``post_net``.
        """
        table: dict[str, list[tuple[int, int]]] = {}
        for k, (codec, lo, hi) in enumerate(sorted(bands), start=1):
            steps = table.setdefault(codec, [])
            if steps and steps[-1][0] > lo:
                raise UsageError(f"post-net bands of {codec} overlap at quality {lo}")
            if steps and steps[-1] == (lo, 0):
                steps.pop()
            steps += [(lo, k), (hi + 1, 0)]
        self.use_band_table({c: tuple(v) for c, v in table.items()})

    def use_band_table(self, table: dict[str, tuple[tuple[int, int], ...]]) -> None:
        """Take ``table`` and one copy of ``post_net`` for each band net it names (weights come later)."""
        nets = max((k for steps in table.values() for _, k in steps), default=0)
        self.post_bands = nn.ModuleList(copy.deepcopy(self.post_net) for _ in range(nets))
        self.band_table = dict(table)

    def band_ranges(self) -> list[tuple[str, int, int, int]]:
        """``(codec, lo, hi, index)`` of every band post-net, read back from ``band_table``."""
        out = []
        for codec, steps in self.band_table.items():
            for (lo, k), (nxt, _) in zip(steps, [*steps[1:], (101, 0)], strict=True):
                if k:
                    out.append((codec, lo, nxt - 1, k))
        return out

    def _post_input(self, y: torch.Tensor, codec: str | None, quality: int | None,
                    index: int | None) -> tuple[Processor, torch.Tensor]:
        """The post-net for this setting (or post-net ``index``) and its input (plane gains undone)."""
        net = self.post_net_at(self.post_index(codec, quality) if index is None else index)
        return net, self._apply_gain(y, inverse=True)

    def post_parts(self, y: torch.Tensor, codec: str | None = None,
                   quality: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The post-processor as its fixed base (the adapter, plane gains undone) and the networks' residual."""
        net, z = self._post_input(y, codec, quality, None)
        return net.base(z), net.residual(z)

    def post(self, y: torch.Tensor, codec: str | None = None, quality: int | None = None,
             index: int | None = None) -> torch.Tensor:
        """Decode side: the post-net for this codec setting (or post-net ``index``), its residual weighted."""
        net, z = self._post_input(y, codec, quality, index)
        a = self.residual_weight(codec, quality)
        if a == 1.0:
            return net(z)
        if a == 0.0:  # the networks are not run at all
            return net.base(z)
        return net.base(z) + a * net.residual(z)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Training pass through the proxy: ``x_hat`` (reconstruction), ``bits`` per image, and the rest."""
        y = self.pre(x)
        coded = self.proxy(y)
        return {**coded, "bottleneck": y, "y_hat": coded["x_hat"], "x_hat": self.post(coded["x_hat"])}

    @property
    def step(self) -> float:
        return float(self.proxy.step().detach())


KNEE = 0.85
"""Fraction of the half code range (127.5) a gained plane reaches linearly before the knee."""


def plain_gain(y: torch.Tensor, gain: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    """Contrast ``gain`` around mid-gray (or its inverse), written so that a gain of 1 is exactly the identity."""
    g = gain.to(y.dtype)
    return y + ((1.0 / g if inverse else g) - 1.0) * (y - 128.0)


def knee_gain(y: torch.Tensor, gain: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    """Contrast ``gain`` around mid-gray that bends over instead of clipping (and its exact inverse).

    A plain gain g > 1 sends every value further than 127.5/g from 128 out of the code range, where the
    codec clips it: saturated colours (chroma of a pure blue is 127.5 from mid-gray) or steep normals
    came back tens of levels wrong. Here the gain is linear up to ``KNEE * 127.5`` on the output side and
    then maps the rest of the input half range (up to 127.5 from mid-gray) onto the rest of the output
    half range, so every 8-bit input stays codable; the outer part is coded with a coarser step
    (slope 0.35-0.5 for gains 1.2-1.5). Planes with gain <= 1 are plain gains. Piecewise linear, so
    training gets gradients everywhere.
    """
    d = y - 128.0
    g = gain.to(y.dtype)
    bent = g > 1.0
    g_safe = torch.where(bent, g, torch.ones_like(g))
    o_knee = KNEE * 127.5
    i_knee = o_knee / g_safe
    outer = (127.5 - o_knee) / (127.5 - i_knee)  # slope beyond the knee
    a, sign = d.abs(), torch.sign(d)
    if not inverse:
        curved = torch.where(a <= i_knee, g_safe * d, sign * (o_knee + outer * (a - i_knee)))
    else:
        curved = torch.where(a <= o_knee, d / g_safe, sign * (i_knee + (a - o_knee) / outer))
    return torch.where(bent, 128.0 + curved, plain_gain(y, gain, inverse))


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parent, timeout=5)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def parse_residual_scale(d: object) -> dict[str, tuple[tuple[int, float], ...]]:
    """Validate ``{codec: [[from_quality, weight], ...]}`` (qualities 0-100 ascending, weights 0-1)."""
    if not isinstance(d, dict):
        raise TypeError("residual_scale must map codec names to steps")
    out: dict[str, tuple[tuple[int, float], ...]] = {}
    for codec, steps in d.items():
        rows = tuple((int(q), float(w)) for q, w in steps)
        if any(not 0 <= q <= 100 or not 0.0 <= w <= 1.0 for q, w in rows) or [q for q, _ in rows] != sorted(
                {q for q, _ in rows}):
            raise ValueError(f"{codec}: steps need ascending qualities 0-100 and weights 0-1")
        out[str(codec)] = rows
    return out


def parse_band_table(d: object, nets: int) -> dict[str, tuple[tuple[int, int], ...]]:
    """Validate ``{codec: [[from_quality, net], ...]}`` against the number of band nets in the file."""
    if not isinstance(d, dict):
        raise TypeError("post_bands must map codec names to steps")
    out = {}
    for codec, steps in d.items():
        rows = tuple((int(q), int(k)) for q, k in steps)
        if any(not 0 <= q <= 101 or not 0 <= k <= nets for q, k in rows) or [q for q, _ in rows] != sorted(
                {q for q, _ in rows}):
            raise ValueError(f"{codec}: steps need ascending qualities 0-101 and nets 0-{nets}")
        out[str(codec)] = rows
    if {k for steps in out.values() for _, k in steps} - {0} != set(range(1, nets + 1)):
        raise ValueError(f"the table does not use each of the {nets} band post-nets")
    return out


def save_sandwich(model: Sandwich, path: Path, lmbda: float, config: dict[str, Any]) -> str:
    """Write fp16 safetensors with metadata atomically; returns the file's SHA-256."""
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    meta = {
        "format": FORMAT,
        "recipe": model.recipe.id,
        "preset": model.preset,
        "adapter": model.adapter_name,
        "lambda": repr(float(lmbda)),
        "step": repr(model.step),
        "seed": str(config.get("seed", "")),
        "git_commit": git_commit(),
        "config": json.dumps(config, sort_keys=True),
        **({"residual_scale": json.dumps({c: [list(t) for t in v] for c, v in model.residual_scale.items()})}
           if model.residual_scale else {}),
        **({"gain_knee": repr(KNEE)} if model.gain_knee else {}),
        **({"heic_chroma_qp": json.dumps(list(model.heic_chroma_qp))} if model.heic_chroma_qp != (0, 0) else {}),
        **({"heic_tuning": model.heic_tuning} if model.heic_tuning != "default" else {}),
        **({"post_bands": json.dumps({c: [list(t) for t in v] for c, v in model.band_table.items()})}
           if model.band_table else {}),
    }
    data = save(tensors, metadata=meta)  # in memory, then renamed into place: no torn weights file
    atomic_write(path, data)
    return hashlib.sha256(data).hexdigest()


def load_sandwich(path: Path, recipe: Recipe | None = None, model_id: str | None = None) -> Sandwich:
    """Load weights written by :func:`save_sandwich`; refuse a file made for another recipe."""
    try:
        data = Path(path).read_bytes()
        tensors = load(data)
        header_len = int.from_bytes(data[:8], "little")
        meta = json.loads(data[8 : 8 + header_len]).get("__metadata__") or {}
    except FileNotFoundError:
        raise InputError(f"{path}: no such model file") from None
    except (OSError, SafetensorError, ValueError, AttributeError) as e:
        raise InputError(f"{path}: not a texsandwich model file ({e})") from None
    if meta.get("format") != FORMAT or meta.get("recipe") not in RECIPES or meta.get("preset") not in PRESETS:
        raise InputError(f"{path}: not a texsandwich model file (missing or unknown metadata)")
    if recipe is not None and meta["recipe"] != recipe.id:
        raise UsageError(f"model {path.name} is for recipe {meta['recipe']}, not {recipe.id}")
    if meta.get("adapter") is not None and meta["adapter"] not in ADAPTERS:
        raise InputError(f"{path}: unknown adapter {meta.get('adapter')!r} (a newer texsandwich wrote it?)")
    model = Sandwich(get_recipe(meta["recipe"]), meta["preset"], step=max(float(meta.get("step", 8.0)), 1.0),
                     adapter=meta.get("adapter"))
    try:
        bands = parse_band_table(json.loads(meta.get("post_bands", "{}")),
                                 sum(1 for k in tensors if re.fullmatch(r"post_bands\.\d+\.s", k)))
    except (ValueError, TypeError) as e:
        raise InputError(f"{path}: bad post_bands metadata ({e})") from None
    model.use_band_table(bands)
    state = {k: v.float() for k, v in tensors.items()}
    state.setdefault("plane_gain", torch.ones(model.recipe.layout.planes))  # files from before the gains
    try:
        model.load_state_dict(state)
    except RuntimeError as e:
        raise InputError(f"{path}: weights do not fit preset {meta['preset']} ({e})") from None
    try:
        model.residual_scale = parse_residual_scale(json.loads(meta.get("residual_scale", "{}")))
    except (ValueError, TypeError) as e:
        raise InputError(f"{path}: bad residual_scale metadata ({e})") from None
    if "gain_knee" in meta and meta["gain_knee"] != repr(KNEE):
        raise InputError(f"{path}: unknown gain knee {meta['gain_knee']!r} (a newer texsandwich wrote it?)")
    model.gain_knee = "gain_knee" in meta
    try:
        qp = json.loads(meta.get("heic_chroma_qp", "[0, 0]"))
        model.heic_chroma_qp = CodecSettings(chroma_qp=(int(qp[0]), int(qp[1]))).chroma_qp
    except (ValueError, TypeError, IndexError, UsageError) as e:
        raise InputError(f"{path}: bad heic_chroma_qp metadata ({e})") from None
    if meta.get("heic_tuning", "default") not in HEIC_TUNINGS:
        raise InputError(f"{path}: unknown HEIC tuning {meta['heic_tuning']!r} (a newer texsandwich wrote it?)")
    model.heic_tuning = meta.get("heic_tuning", "default")
    model.eval()
    # oneDNN's CPU convolutions are faster in NHWC: decoding 25-48 % and encoding 16-28 % faster on 2 cores
    # (tools/bench_codec.py, docs/ZOO.md). A channels-last weight makes the convolution pick NHWC, so
    # inputs may stay NCHW; outputs differ from NCHW by float rounding only (< 1e-3 of a code value)
    model.to(memory_format=torch.channels_last)
    model.sha256 = hashlib.sha256(data).hexdigest()
    model.model_id = model_id or Path(path).stem
    model.metadata = meta
    return model
