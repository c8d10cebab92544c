"""Training a sandwich through the codec proxy: random crops, Adam, MSE + λ·bpp, checkpoints, resume."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from texsandwich.codecs import CodecSettings
from texsandwich.distortion import MSEDistortion, make_distortion
from texsandwich.errors import InputError, UsageError
from texsandwich.hdr.tone import fit_tone_curve
from texsandwich.hdr.transfer import PQ_PEAK_NITS, WHITE_NITS, linear_to_pq16, pq16_to_linear
from texsandwich.losses import RateDistortionLoss
from texsandwich.pipeline import code_bottleneck, codec_settings
from texsandwich.recipes import Recipe, get_recipe
from texsandwich.sandwich import Sandwich, load_sandwich, save_sandwich
from texsandwich.sources import read_source, read_sources, training_sources


@dataclass
class TrainConfig:
    recipe: str
    data: str
    split: str = "train"
    lmbda: float = 30.0
    preset: str = "slim"
    steps: int = 4000
    crop: int = 128
    batch: int = 8
    lr: float = 5e-4
    step_lr: float = 1e-2
    step_init: float | None = None
    seed: int = 0
    checkpoint_seconds: float = 120.0
    refine_steps: int = 0
    """Steps of the second stage: the post-net alone, on real codec decodes of the frozen pre-net's bottleneck."""
    refine_codecs: str = "heic,jpeg"
    refine_qualities: tuple[int, int] = (10, 90)
    refine_lr: float = 2e-4
    post_bands: tuple[tuple[str, int, int, int], ...] = ()
    """Third stage: ``(codec, lo, hi, steps)`` -- a copy of the post-net refined for ``steps`` on that codec's
    decodes at qualities lo..hi only, which then decodes exactly those settings (``Sandwich.band_table``)."""
    fit_gains: bool = False
    """First fit the per-plane gains with the real codec on training crops (:mod:`texsandwich.allocation`)."""
    black_crops: float = 0.0
    """Probability that a training crop gets a rectangle of exact black (see :func:`random_batch`)."""
    plane_gains: tuple[float, ...] | None = None
    """Fixed per-plane gains (e.g. chroma above luma), set before training; ``fit_gains`` searches them instead."""
    adapter: str | None = None
    """The fixed maps around the networks (default: the recipe's plain adapter, or the ``init`` model's)."""
    init: str | None = None
    """Start from these weights (a model of the same recipe and preset), e.g. to fine-tune another λ."""
    exposure: tuple[float, float] | None = None
    """16-bit (PQ) recipes: scale each crop's linear light by 2^k, k uniform in this range of stops, so
    a few training EXRs stand for dark and bright scenes alike (see :func:`hdr_augment`)."""
    heic_chroma_qp: tuple[int, int] = (0, 0)
    """Cb, Cr QP offsets the model asks of HEIC (``Sandwich.heic_chroma_qp``); real-decode stages use them."""
    heic_tuning: str = "default"
    """The x265 tuning the model codes HEIC with (``codecs.HEIC_TUNINGS``, ``Sandwich.heic_tuning``); its
    real-decode stages see such decodes. With ``init``, ``default`` keeps the init model's."""
    gain_knee: bool = False
    """Plane gains above 1 bend over near the code range's ends instead of clipping (``knee_gain``)."""
    residual_scale: dict[str, tuple[tuple[int, float], ...]] | None = None
    """Decode-time weights of the post-net's residual per codec and quality (``Sandwich.residual_scale``),
    set on the model before it is saved; with ``init`` and no steps, the init model repackaged."""
    tone_strengths: tuple[float, ...] = ()
    """16-bit recipes: code each crop through a tone curve of a strength drawn from these (0 = linear),
    fitted to the crop, as the pipeline does at qualities where the recipe compands."""
    real_forward: tuple[int, int] | None = None
    """Proxy steps decode through real HEIC at a random quality in this range, with the proxy's gradient
    (straight-through): the distortion is the real codec's, so detail HEIC wipes out earns the pre-net
    nothing, which a uniform-quantiser proxy cannot tell it (tools/proxy_vs_codec.py). The rate term
    stays the proxy's."""
    real_forward_grad: str = "proxy"
    """With ``real_forward``, what the gradient to the pre-net goes through: 'proxy' (the proxy's
    quantiser, straight-through) or 'identity' (the codec passed straight through, as the encoder's
    per-image optimisation does, ``encoder_opt``; the proxy then only prices the bits). Why the second
    was tried: proxy steps, even at lr 2e-5 with the post-net frozen, moved the GPU-trained pre-net where
    HEIC gives less, and the identity gradient is the direction the encoder's per-image search gains
    along. Measured (docs/ZOO.md): as a training signal it lost too (-0.25 dB on the held-out textures,
    the pre-net sending more detail than the proxy-priced bits said it cost); kept for experiments."""
    train_post: bool = True
    """False: the proxy steps train the pre-net alone (the gradient still flows through the post-net,
    whose weights stay as ``init`` gave them). Why: to tell whether a short small-batch CPU continuation
    of a GPU-trained pair loses its quarter dB (docs/ZOO.md) in the post-net or the pre-net."""


def load_images(data: str | Path, split: str, crop: int, recipe: Recipe | None = None) -> list[np.ndarray]:
    """Training sources as ``[H, W, C (+1)]`` uint8 arrays; materials carry metallic as a last channel.

    ``data``: one folder, or several joined with ``os.pathsep`` (:func:`training_sources`).

    (Metallic is side information for the shaded distortion: zeros when a material has none.)
    """
    recipe = recipe or get_recipe("rgb-444")
    files = training_sources(str(data), recipe, split)
    if not files:
        raise InputError(f"{data}: no training sources for {recipe.id} (split {split})")
    images = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            src = read_source(f, recipe)
            a = src.array
            if recipe.source_kind == "material":
                metal = src.side.get("metallic", np.zeros((*a.shape[:2], 1), np.uint8))
                a = np.concatenate([a, metal], axis=-1)
            if min(a.shape[:2]) >= crop:
                images.append(a)
    if not images:
        raise InputError(f"{data}: no source is at least {crop}x{crop}")
    return images


def random_batch(images: list[np.ndarray], rng: np.random.Generator, batch: int, crop: int,
                 negate_on_flip: tuple[int, ...] = (), black: float = 0.0) -> torch.Tensor:
    """``[batch, C, crop, crop]`` float crops with random horizontal flips.

    A flipped normal map points the other way along x: the channels in ``negate_on_flip`` (the
    normal's x, 0..255-encoded) become ``255 - v`` so flipped crops are still valid materials.
    With probability ``black`` a crop gets a random rectangle of exact black (code 0): renders and
    HDR photographs have such areas, and a model that never saw them maps them below the code range.
    """
    out = np.empty((batch, crop, crop, images[0].shape[2]), images[0].dtype)
    for i in range(batch):
        a = images[rng.integers(len(images))]
        y, x = rng.integers(a.shape[0] - crop + 1), rng.integers(a.shape[1] - crop + 1)
        c = a[y : y + crop, x : x + crop]
        if rng.random() < 0.5:
            c = c[:, ::-1].copy()
            for ch in negate_on_flip:
                c[..., ch] = 255 - c[..., ch]
        out[i] = c
        if black and rng.random() < black:
            h0, w0 = rng.integers(crop // 4, crop + 1, size=2)
            y0, x0 = rng.integers(0, crop - h0 + 1), rng.integers(0, crop - w0 + 1)
            out[i, y0 : y0 + h0, x0 : x0 + w0] = 0
    return torch.from_numpy(out).permute(0, 3, 1, 2).float()


def hdr_augment(batch: torch.Tensor, rng: np.random.Generator, exposure: tuple[float, float] | None,
                tone_strengths: tuple[float, ...]) -> torch.Tensor:
    """16-bit PQ crops ``[B, C, H, W]`` (codes 0..65535) re-exposed and companded, still on the 16-bit scale.

    Exposure: the crop's linear light times 2^k (PQ is absolute, so a darker exposure is a different
    signal, not a scaled one); a model trained on 14 EXRs otherwise fails on scenes darker than all of
    them. Tone: the per-image curve of :mod:`texsandwich.hdr.tone`, fitted to the crop, so the post-net
    learns the companded bottleneck it gets at high qualities.
    """
    out = batch.clone()
    for i in range(batch.shape[0]):
        codes = batch[i].numpy()
        if exposure is not None:
            k = float(rng.uniform(*exposure))
            codes = linear_to_pq16(np.minimum(pq16_to_linear(codes) * 2.0**k, PQ_PEAK_NITS / WHITE_NITS))
        strength = float(rng.choice(tone_strengths)) if tone_strengths else 0.0
        t = torch.from_numpy(codes.astype(np.float32))
        out[i] = fit_tone_curve(codes, strength).forward(t) * 257.0 if strength > 0 else t
    return out


def split_side(x: torch.Tensor, recipe: Recipe) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Source channels and side information of a training batch (see :func:`load_images`)."""
    c = len(recipe.channels)
    side = {"metallic": x[:, c : c + 1]} if recipe.source_kind == "material" else {}
    return x[:, :c].contiguous(memory_format=torch.channels_last), side


def initial_step(lmbda: float, samples_per_pixel: float) -> float:
    """High-rate guess of the best flat step for ``λ`` (bits per pixel, MSE per sample).

    A uniform quantiser has D ≈ Δ²/12 per coefficient and dR/dΔ ≈ -1/(Δ ln 2) bits, so D + λ'R is
    smallest at Δ = sqrt(6 λ' / ln 2), with λ' = λ / (coded samples per pixel). Starting there saves
    the step the thousands of iterations it would need to walk from an arbitrary value.
    """
    return float(min(max(math.sqrt(6.0 * lmbda / (math.log(2.0) * samples_per_pixel)), 2.0), 64.0))


def train(config: TrainConfig, output: Path, resume: bool = False, progress: bool = True,
          threads: int | None = None) -> dict[str, float]:
    """Train, checkpointing to ``output`` + ``.ckpt`` every few minutes; export fp16 safetensors at the end.

    ``threads`` caps torch's CPU threads (default: every core) so that several trainings can share a
    machine; it is not part of the config, since it changes speed, not the model.
    """
    recipe = get_recipe(config.recipe)
    # no steps at all is only meaningful when something else defines the model: an --init to repackage,
    # or fixed maps (an adapter, plane gains) packaged around networks that stay the identity
    fixed = (config.init or config.adapter or config.plane_gains is not None or tuple(config.heic_chroma_qp) != (0, 0)
             or config.heic_tuning != "default")
    bands = [(str(c), int(lo), int(hi), int(n)) for c, lo, hi, n in config.post_bands]
    band_steps = [n for *_, n in bands]
    if config.steps < 0 or config.refine_steps < 0 or min(band_steps, default=0) < 0 or (
            config.steps + config.refine_steps + sum(band_steps) < 1 and not fixed):
        raise UsageError("steps and refine steps must be >= 0, and not both 0 (unless fine-tuning from --init)")
    if config.batch < 1 or config.crop < 16 or config.lmbda < 0:
        raise UsageError("batch must be >= 1, crop >= 16, lambda >= 0")
    torch.set_num_threads(threads or os.cpu_count() or 1)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    # repackaging a model (no steps) needs no data
    busy = config.steps + config.refine_steps + sum(band_steps) > 0
    images = load_images(config.data, config.split, config.crop, recipe) if busy else []
    flip = tuple(i for i, ch in enumerate(recipe.channels) if ch == "normal.x")
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    samples = sum(1.0 if i == 0 or g.chroma != "420" else 0.25
                  for g in recipe.layout.groups for i in range(len(g.planes)))
    step0 = config.step_init or initial_step(config.lmbda, samples)
    base = load_sandwich(Path(config.init), recipe) if config.init else None
    model = Sandwich(recipe, config.preset, step=step0,
                     adapter=config.adapter or (base.adapter_name if base is not None else None))
    if base is not None:  # fine-tuning: the weights of a model of the same recipe and preset
        if base.preset != config.preset:
            raise UsageError(f"--init {config.init} is preset {base.preset}, not {config.preset}")
        model.use_band_table(base.band_table)  # a banded model: the same band nets, then its weights
        model.load_state_dict(base.state_dict())
    model.gain_knee = config.gain_knee or (base is not None and base.gain_knee)
    qp = CodecSettings(chroma_qp=tuple(config.heic_chroma_qp)).chroma_qp  # validated like a codec setting
    model.heic_chroma_qp = base.heic_chroma_qp if qp == (0, 0) and base is not None else qp
    tuning = CodecSettings(tuning=config.heic_tuning).tuning  # validated like a codec setting
    model.heic_tuning = base.heic_tuning if tuning == "default" and base is not None else tuning
    if config.plane_gains is not None:
        if len(config.plane_gains) != recipe.layout.planes or min(config.plane_gains) <= 0:
            raise UsageError(f"plane gains must be {recipe.layout.planes} positive numbers")
        with torch.no_grad():
            model.plane_gain.copy_(torch.tensor(config.plane_gains, dtype=torch.float32))
    # a band the init model already has continues from its weights (so a band can be trained further);
    # a new band starts from the post-net
    init_bands = {(c, lo, hi): copy.deepcopy(base.post_net_at(k).state_dict())
                  for c, lo, hi, k in base.band_ranges()} if base is not None else {}
    band_index: dict[tuple[str, int, int], int] = {}
    if bands:
        model.set_post_bands([(c, lo, hi) for c, lo, hi, _ in bands])
        band_index = {(c, lo, hi): k for c, lo, hi, k in model.band_ranges()}
        for key, k in band_index.items():
            if key in init_bands:
                model.post_bands[k - 1].load_state_dict(init_bands[key])
    model = model.to(device).to(memory_format=torch.channels_last)
    # with the codec passed straight through, the proxy's reconstruction is not in the loss: its step
    # would learn from the rate alone and grow without bound (17 -> 19 in 200 steps), so it stays put
    identity = bool(config.real_forward) and config.real_forward_grad == "identity"
    step_params = [] if identity else list(model.proxy.parameters())
    others = [p for n, p in model.named_parameters()
              if not n.startswith("proxy.") and (config.train_post or not n.startswith(("post_net.", "post_bands.")))]
    # the step is one scalar on a 1..255 scale: it needs a far larger learning rate than the weights
    opt = torch.optim.Adam([{"params": others, "lr": config.lr}, {"params": step_params, "lr": config.step_lr}])
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 if s < 0.8 * config.steps else 0.2)
    opt_post = torch.optim.Adam(model.post_net.parameters(), lr=config.refine_lr)
    # one optimiser over every band net: only the band being refined gets gradients, Adam skips the rest
    opt_bands = torch.optim.Adam(model.post_bands.parameters(), lr=config.refine_lr) if bands else None
    loss_fn = RateDistortionLoss(config.lmbda, make_distortion(recipe.distortion, training=True))
    codecs = [c for c in config.refine_codecs.split(",") if c]
    ckpt = output.with_name(output.name + ".ckpt")
    start, elapsed = 0, 0.0
    if resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        if not _compatible(state["config"], dataclasses.asdict(config)):
            raise UsageError(f"{ckpt} was written with another configuration; drop --resume or the checkpoint")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        if "opt_post" in state:
            opt_post.load_state_dict(state["opt_post"])
        if opt_bands is not None and "opt_bands" in state:
            opt_bands.load_state_dict(state["opt_bands"])
        sched.load_state_dict(state["sched"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        start, elapsed = state["step"], state["elapsed"]

    def save_checkpoint(step: int) -> None:
        tmp = ckpt.with_name(ckpt.name + ".part")
        torch.save({"config": dataclasses.asdict(config), "model": model.state_dict(), "opt": opt.state_dict(),
                    "opt_post": opt_post.state_dict(), "sched": sched.state_dict(), "rng": rng.bit_generator.state,
                    **({"opt_bands": opt_bands.state_dict()} if opt_bands is not None else {}),
                    "torch_rng": torch.get_rng_state(), "step": step, "elapsed": elapsed}, tmp)
        os.replace(tmp, ckpt)

    fit: dict | None = None
    if config.fit_gains and start == 0 and not (resume and ckpt.exists()):
        from texsandwich.allocation import crop_sources, fit_plane_gains

        files = training_sources(config.data, recipe, config.split)[::2]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit_sources = crop_sources([s for f in files for s in read_sources(f, recipe, frames=False)], 192)
        model.eval()
        fit = fit_plane_gains(model.cpu(), fit_sources, progress=progress)
        model.to(device)
        save_checkpoint(0)
    model.train()
    last_save = time.monotonic()
    t0 = time.monotonic() - elapsed
    total = config.steps + config.refine_steps + sum(band_steps)
    band_starts = list(np.cumsum([config.steps + config.refine_steps, *band_steps[:-1]]))
    bar = tqdm(range(start, total), initial=start, total=total, disable=not progress, unit="step")
    stats: dict[str, float] = {}
    for step in bar:
        batch_x = random_batch(images, rng, config.batch, config.crop, flip, config.black_crops)
        if recipe.bit_depth == 16 and (config.exposure or config.tone_strengths):
            batch_x = hdr_augment(batch_x, rng, config.exposure, config.tone_strengths)
        x, side = split_side(batch_x.to(device) / recipe.unit, recipe)
        if step >= config.steps + config.refine_steps:  # a band: its own copy of the post-net, its qualities
            b = max(i for i, s0 in enumerate(band_starts) if step >= s0)
            codec, lo, hi, _ = bands[b]
            k = band_index[(codec, lo, hi)]
            if step == band_starts[b]:  # from the init's band, else the post-net as the earlier stages left it
                model.post_bands[k - 1].load_state_dict(init_bands.get((codec, lo, hi)) or model.post_net.state_dict())
            stats = refine_step(model, opt_bands, x, [codec], (lo, hi), rng, loss_fn.distortion, side, index=k)
            if step % 10 == 0:
                bar.set_postfix(stage=f"band {codec} {lo}-{hi}", psnr=f"{stats['psnr']:.2f}")
        elif step >= config.steps:
            stats = refine_step(model, opt_post, x, codecs, config.refine_qualities, rng, loss_fn.distortion, side)
            if step % 10 == 0:
                bar.set_postfix(stage="refine", psnr=f"{stats['psnr']:.2f}")
        else:
            out = (real_codec_pass(model, x, config.real_forward, rng, config.real_forward_grad)
                   if config.real_forward else model(x))
            losses = loss_fn(out, x, **side)
            opt.zero_grad(set_to_none=True)
            losses["loss"].backward()
            opt.step()
            sched.step()
            stats = {k: float(v.detach()) for k, v in losses.items()}
            if step % 10 == 0:
                bar.set_postfix(loss=f"{stats['loss']:.2f}", psnr=f"{stats['psnr']:.2f}", bpp=f"{stats['bpp']:.3f}",
                                step=f"{stats['step']:.2f}", s=f"{float(model.pre_net.s.detach()):.3f}")
        elapsed = time.monotonic() - t0
        if time.monotonic() - last_save > config.checkpoint_seconds:
            save_checkpoint(step + 1)
            last_save = time.monotonic()
    elapsed = time.monotonic() - t0
    save_checkpoint(total)
    if fit is not None:
        stats = {**stats, "plane_gains": fit["gains"], "gain_fit_bd_rate_train": fit["bd_rate_train"]}
    summary = {**stats, "train_seconds": elapsed, "threads": torch.get_num_threads(), "device": str(device),
               "cpu": _cpu_name()}
    if config.residual_scale is not None:
        from texsandwich.sandwich import parse_residual_scale

        model.residual_scale = parse_residual_scale(config.residual_scale)
    save_sandwich(model.cpu(), output, config.lmbda, {**dataclasses.asdict(config), "result": summary})
    return summary


def _compatible(old: dict, new: dict) -> bool:
    """A checkpoint can be resumed when everything but the refinement stage's settings is unchanged.

    That lets a finished proxy training be extended by a refinement stage without starting again.
    """
    same = {k: v for k, v in new.items() if not k.startswith("refine_")}
    return all(old.get(k, v) == v for k, v in same.items())


def refine_step(
    model: Sandwich, opt: torch.optim.Optimizer, x: torch.Tensor, codecs: list[str], qualities: tuple[int, int],
    rng: np.random.Generator, distortion: torch.nn.Module | None = None, side: dict[str, torch.Tensor] | None = None,
    index: int = 0,
) -> dict[str, float]:
    """One post-net update (``index``: which, see ``Sandwich.post_net_at``) on real decodes: each crop
    through a random codec at a random quality.

    The real codec needs no gradient here (the pre-net is frozen), so the post-net learns the actual
    artefacts of HEVC and libjpeg instead of the proxy's -- the same weights then serve both codecs.
    """
    recipe = model.recipe
    with torch.no_grad():
        y_hat = real_decodes(model, model.pre(x), codecs, qualities, rng).to(x.device)
    per_crop = (distortion or MSEDistortion())(model.post(y_hat, index=index), x, **(side or {}))["per_item"]
    # log-MSE per crop (= mean PSNR): with plain MSE the low-quality crops (MSE ~100) drown the
    # high-quality ones (MSE ~1), and the post-net learns to add a little noise where it should not
    # (16-bit recipes aim below 8-bit rounding noise, MSE 1/12 on this scale: a smaller floor)
    loss = torch.log(per_crop + (0.1 if recipe.bit_depth <= 8 else 1e-3)).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    mse = per_crop.mean()
    return {"loss": float(loss.detach()), "mse": float(mse.detach()),
            "psnr": float(10 * torch.log10(255.0**2 / mse.detach().clamp_min(1e-10))), "bpp": float("nan"),
            "step": model.step}


def real_decodes(model: Sandwich, y: torch.Tensor, codecs: list[str], qualities: tuple[int, int],
                 rng: np.random.Generator) -> torch.Tensor:
    """Each crop of the bottleneck ``y`` through a random codec at a random quality, decoded (no gradient)."""
    layout = model.recipe.layout
    y = y.detach().float().contiguous().cpu()
    jobs = []
    for i in range(y.shape[0]):  # the draws first, in crop order: the same sequence at any thread count
        codec = codecs[int(rng.integers(len(codecs)))]
        q = int(rng.integers(qualities[0], qualities[1] + 1))
        jobs.append((y[i : i + 1], codec, codec_settings(codec, q, None, 8, layout.chroma, model)))
    # the encoders release the GIL: a batch's crops are coded side by side (a GPU step otherwise
    # waits on one core); the results are the same crops in the same order
    with ThreadPoolExecutor(max_workers=min(len(jobs), os.cpu_count() or 1)) as pool:
        decoded = list(pool.map(lambda j: code_bottleneck(j[0], layout, j[1], j[2]), jobs))
    return torch.cat(decoded).contiguous(memory_format=torch.channels_last)


def real_codec_pass(model: Sandwich, x: torch.Tensor, qualities: tuple[int, int],
                    rng: np.random.Generator, grad: str = "proxy") -> dict[str, torch.Tensor]:
    """``model(x)`` with the proxy's reconstruction replaced by real HEIC's in the forward pass only.

    ``y_hat = through + (real - through).detach()``: the loss sees what HEIC returns; the gradient to the
    pre-net flows through the proxy's reconstruction (``grad='proxy'``) or straight to the coded planes
    (``'identity'``); HEIC has none. The bits stay the proxy's either way.
    """
    if grad not in ("proxy", "identity"):
        raise ValueError(f"real_forward_grad is 'proxy' or 'identity', not {grad!r}")
    y = model.pre(x)
    coded = model.proxy(y)
    real = real_decodes(model, y, ["heic"], qualities, rng).to(x.device)
    through = coded["x_hat"] if grad == "proxy" else y
    y_hat = through + (real - through).detach()
    return {**coded, "bottleneck": y, "y_hat": y_hat, "x_hat": model.post(y_hat)}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def describe(summary: dict[str, float]) -> str:
    return json.dumps(summary, indent=2)
