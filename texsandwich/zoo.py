"""The model zoo: stable ids -> trained weights shipped inside the package.

Each entry says how it was trained, so ``tools/train_zoo.py`` can reproduce it; ``DEFAULTS`` names the
model a recipe uses when ``--model`` is not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ZooEntry:
    id: str
    recipe: str
    preset: str
    lmbda: float
    steps: int
    crop: int = 96
    batch: int = 8
    lr: float = 5e-4
    seed: int = 0
    refine_steps: int = 0
    refine_lr: float = 2e-4
    refine_qualities: tuple[int, int] = (10, 90)
    heic_chroma_qp: tuple[int, int] = (0, 0)
    """Cb, Cr QP offsets through HEIC (``TrainConfig.heic_chroma_qp``)."""
    heic_tuning: str = "default"
    """The x265 tuning it codes HEIC with (``TrainConfig.heic_tuning``)."""
    post_bands: tuple[tuple[str, int, int, int], ...] = ()
    """``(codec, lo, hi, steps)``: post-nets refined on one quality band each (``TrainConfig.post_bands``)."""
    summary: str = ""
    fit_gains: bool = False
    plane_gains: tuple[float, ...] | None = None
    """Fixed per-plane gains set before training (see ``TrainConfig.plane_gains``)."""
    adapter: str | None = None
    """Fixed maps around the networks when not the recipe's plain adapter (see ``Sandwich``)."""
    init: str | None = None
    """Zoo id this model is fine-tuned from (trained first)."""
    black_crops: float = 0.0
    gain_knee: bool = False
    """Plane gains above 1 bend over instead of clipping saturated values (``sandwich.knee_gain``)."""
    residual_scale: dict[str, tuple[tuple[int, float], ...]] | None = None
    """Decode-time post-net residual weights per codec and quality (``tools/fit_residual_scale.py``)."""
    exposure: tuple[float, float] | None = None
    tone_strengths: tuple[float, ...] = ()
    """16-bit training augmentation (see ``TrainConfig.exposure`` / ``tone_strengths``)."""
    real_forward: tuple[int, int] | None = None
    """Proxy steps see real HEIC decodes at these qualities (``TrainConfig.real_forward``)."""
    data: str | tuple[str, ...] = "photos"
    """Training folder(s), relative to the shared data root (each one's *train* split; a folder of
    materials gives an RGB recipe its albedo maps)."""

    @property
    def path(self) -> Path:
        return WEIGHTS / f"{self.id}.safetensors"

    @property
    def available(self) -> bool:
        return self.path.is_file()


ZOO: dict[str, ZooEntry] = {
    e.id: e
    for e in (
        ZooEntry("rgb-400-slim", "rgb-400", "slim", 60.0, 4000, refine_steps=600, summary="RGB over a grayscale codec"),
        # 4:4:4 / 4:2:0: a proxy-trained slim pre-net cost +19% BD-rate on HEIC after 4000 CPU steps (its
        # JPEG-shaped bottleneck does not transfer, and it caps PSNR near 44 dB); these keep the pre-net at
        # the YCbCr adapter and learn the post-net on real HEIC/JPEG decodes. See docs/ZOO.md.
        ZooEntry("rgb-444-slim", "rgb-444", "slim", 30.0, 0, refine_steps=1200, refine_lr=5e-4,
                 summary="RGB over 4:4:4 (learned post-processor)"),
        ZooEntry("rgb-420-slim", "rgb-420", "slim", 30.0, 0, refine_steps=4200, refine_lr=5e-4,
                 summary="RGB over 4:2:0 (learned post-processor)"),
        # Ids are stable: files name the weights they were coded with, so a better model gets a new id.
        ZooEntry("rgb-420-slim-v2", "rgb-420", "slim", 30.0, 0, refine_steps=10000, refine_lr=5e-4,
                 init="rgb-420-slim", summary="RGB over 4:2:0 (rgb-420-slim refined 10000 more steps)"),
        # least-squares chroma for the bilinear upsampling (adapter ycbcr420ls) instead of the 2x2 mean:
        # +1-3 dB at high qualities with no network at all; chroma at 1.3x contrast (finer chroma steps
        # at the one codec quality; scanned 1/1.3/1.7 on training crops, 1.3 best); the post-net is
        # re-refined on these decodes.
        ZooEntry("rgb-420-slim-ls", "rgb-420", "slim", 30.0, 0, refine_steps=6000, refine_lr=5e-4,
                 init="rgb-420-slim-v2", adapter="ycbcr420ls", plane_gains=(1.0, 1.3, 1.3),
                 summary="RGB over 4:2:0: least-squares chroma pre, post-net refined on its HEIC/JPEG decodes"),
        ZooEntry("rgb-420-slim-ls2", "rgb-420", "slim", 30.0, 0, refine_steps=5000, refine_lr=2e-4,
                 init="rgb-420-slim-ls", summary="rgb-420-slim-ls refined 5000 more steps (lr 2e-4)"),
        ZooEntry("rgb-420-slim-ls3", "rgb-420", "slim", 30.0, 0, init="rgb-420-slim-ls2", gain_knee=True,
                 summary="rgb-420-slim-ls2 whose chroma gain does not clip saturated colours"),
        # chroma at 1.3x contrast (see rgb-420-slim-ls) and a longer post-net refinement on its decodes
        ZooEntry("rgb-444-slim-v2", "rgb-444", "slim", 30.0, 0, refine_steps=4000, refine_lr=5e-4,
                 init="rgb-444-slim", plane_gains=(1.0, 1.3, 1.3),
                 summary="RGB over 4:4:4 (rgb-444-slim with chroma gain 1.3, refined 4000 more steps)"),
        # the same weights with a residual-scale table: how much of the post-net's residual to apply per
        # codec and quality, fitted by tools/fit_residual_scale.py on material albedos (neither training
        # nor evaluation photos). The slim post-nets add error of their own at high HEIC qualities.
        ZooEntry("rgb-444-slim-v3", "rgb-444", "slim", 30.0, 0, init="rgb-444-slim-v2",
                 residual_scale={"heic": ((0, 1.0), (25, 0.5), (75, 0.25)), "jpeg": ((0, 1.0), (85, 0.75))},
                 summary="rgb-444-slim-v2 with its post-net residual weighted by codec quality"),
        # the same with the chroma gain bending over near the code range's ends: v2/v3 clip saturated
        # colours (colour bars at q90: 21.8 dB, pure blue 53 levels off); identical elsewhere
        ZooEntry("rgb-444-slim-v4", "rgb-444", "slim", 30.0, 0, init="rgb-444-slim-v3", gain_knee=True,
                 residual_scale={"heic": ((0, 1.0), (25, 0.5), (75, 0.25)), "jpeg": ((0, 1.0), (85, 0.75))},
                 summary="rgb-444-slim-v3 whose chroma gain does not clip saturated colours"),
        # chroma x1.9 instead of x1.3: with the knee, larger chroma gains no longer clip saturated colours,
        # and on 10 training photos 1.3 / 1.6 / 1.9 / 2.2 / 2.6 scored -0.7 / -3.1 / -3.8 / -2.1 / +4.3 % vs the
        # baselines' envelope (v4's nets, no retraining); the post-net then refined on the new decodes
        ZooEntry("rgb-444-slim-v5", "rgb-444", "slim", 30.0, 0, refine_steps=2000, refine_lr=2e-4,
                 init="rgb-444-slim-v4", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 residual_scale={"heic": ((0, 1.0), (25, 0.5), (75, 0.25)), "jpeg": ((0, 1.0), (85, 0.75))},
                 summary="RGB over 4:4:4, chroma x1.9 (with the knee), post-net refined on its decodes"),
        # v5 plus one copy of its post-net per HEIC quality band, each refined on that band's decodes only
        # (held-out, 2000 steps on 10-25 / 26-55 vs v5: +0.15 / +0.13 dB); the bands use their whole
        # residual, other settings keep v5's post-net and table
        ZooEntry("rgb-444-slim-v6", "rgb-444", "slim", 30.0, 0, init="rgb-444-slim-v5", plane_gains=(1.0, 1.9, 1.9),
                 gain_knee=True, post_bands=(("heic", 10, 25, 2000), ("heic", 26, 55, 2000), ("heic", 56, 95, 2000)),
                 residual_scale={"heic": ((0, 1.0), (96, 0.25)), "jpeg": ((0, 1.0), (85, 0.75))},
                 summary="rgb-444-slim-v5 with a post-net per HEIC quality band"),
        # v6 with its two lower bands trained further (2000 / 1000 more steps), the top band as it was
        ZooEntry("rgb-444-slim-v7", "rgb-444", "slim", 30.0, 0, init="rgb-444-slim-v6", plane_gains=(1.0, 1.9, 1.9),
                 gain_knee=True, post_bands=(("heic", 10, 25, 2000), ("heic", 26, 55, 1000), ("heic", 56, 95, 0)),
                 residual_scale={"heic": ((0, 1.0), (96, 0.25)), "jpeg": ((0, 1.0), (85, 0.75))}, seed=1,
                 summary="rgb-444-slim-v6 with its low and mid HEIC bands refined further"),
        # pbr8: a proxy-trained slim pre-net (4000 steps) cost +49% BD-rate on HEIC (3 held-out materials);
        # the adapter (albedo YCbCr, normal n_x/n_y) with per-plane gains fitted on real HEIC encodes of
        # training crops, plus a post-net refined on real decodes, is what ships. See docs/ZOO.md.
        ZooEntry("pbr8-400-slim", "pbr8-400", "slim", 30.0, 0, refine_steps=204, fit_gains=True,
                 summary="PBR material over eight 4:0:0 images, trained on texture-space shaded error",
                 data="materials"),
        # 2x resolution through a half-resolution codec: the sandwich (pre-net learns what survives the
        # bicubic down / Lanczos3 up, post-net restores) and, as its control, the same post-net trained
        # alone on the plain bicubic bottleneck (no proxy steps: the pre-net stays the identity).
        ZooEntry("rgb-hr2-slim", "rgb-hr2", "slim", 16.0, 3000, crop=128, refine_steps=400,
                 summary="RGB at 2x the codec's resolution"),
        # the same, fine-tuned for low rates (0.1-0.5 bpp): the envelope of the two is what eval reports
        ZooEntry("rgb-hr2-lowrate-slim", "rgb-hr2", "slim", 64.0, 1000, crop=128, refine_steps=200, lr=2e-4,
                 init="rgb-hr2-slim", summary="RGB at 2x the codec's resolution, tuned for low rates"),
        # the same training on YCbCr planes (chroma 1.3x, as rgb-444): the identity adapter left colour
        # decorrelation to a slim pre-net, and RGB planes cost ~28 % more bits in x265 (HDR measurements)
        ZooEntry("rgb-hr2-ycc-slim", "rgb-hr2", "slim", 16.0, 3000, crop=128, refine_steps=400, adapter="ycbcr",
                 plane_gains=(1.0, 1.3, 1.3), gain_knee=True,
                 summary="RGB at 2x the codec's resolution, coded as YCbCr"),
        ZooEntry("rgb-hr2-ycc-lowrate-slim", "rgb-hr2", "slim", 64.0, 1000, crop=128, refine_steps=200, lr=2e-4,
                 init="rgb-hr2-ycc-slim", summary="RGB at 2x the codec's resolution as YCbCr, tuned for low rates"),
        # its control: the same post-net on the same YCbCr bottleneck with no pre-net training
        ZooEntry("rgb-hr2-ycc-post-only-slim", "rgb-hr2", "slim", 16.0, 0, crop=128, refine_steps=800,
                 refine_lr=5e-4, adapter="ycbcr", plane_gains=(1.0, 1.3, 1.3), gain_knee=True,
                 summary="rgb-hr2-ycc's post-net alone (super-resolution of the plain YCbCr bicubic bottleneck)"),
        # chroma x1.9 (as rgb-444-slim-v5; scanned for rgb-444, checked here on 10 training photos: BD-rate vs
        # the bicubic baselines -9.6 % at 1.3, -13.2 % at 1.9), the nets unchanged; and its matched control
        ZooEntry("rgb-hr2-ycc-lowrate-c19-slim", "rgb-hr2", "slim", 64.0, 0, crop=128, init="rgb-hr2-ycc-lowrate-slim",
                 plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="rgb-hr2-ycc-lowrate-slim with chroma x1.9"),
        ZooEntry("rgb-hr2-ycc-post-only-c19-slim", "rgb-hr2", "slim", 16.0, 0, crop=128,
                 init="rgb-hr2-ycc-post-only-slim", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="rgb-hr2-ycc-post-only-slim with chroma x1.9 (the control of rgb-hr2-ycc-lowrate-c19-slim)"),
        # the medium preset (two U-Net levels, ~1.9 MB fp16): trained from scratch at the low-rate lambda with
        # the c19 plane gains, on CPU (no GPU was lent); and its matched post-only control
        ZooEntry("rgb-hr2-ycc-c19-medium", "rgb-hr2", "medium", 64.0, 3500, crop=128, refine_steps=300,
                 adapter="ycbcr", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="RGB at 2x the codec's resolution as YCbCr (chroma x1.9), medium networks"),
        ZooEntry("rgb-hr2-ycc-post-only-c19-medium", "rgb-hr2", "medium", 64.0, 0, crop=128, refine_steps=800,
                 refine_lr=5e-4, adapter="ycbcr", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="rgb-hr2-ycc-c19-medium's post-net alone (the control of rgb-hr2-ycc-c19-medium)"),
        # the same medium pair on a lent H100 (docs/GPU.md): batch 32 and ~2.5x the steps (~10x the crops of the
        # CPU models), and the control's post-net given as many real decodes (a lambda-160 sibling trained
        # alongside was -0.20 dB held out and is not shipped: docs/ZOO.md)
        ZooEntry("rgb-hr2-ycc-c19-medium-gpu", "rgb-hr2", "medium", 64.0, 9000, crop=128, batch=32, refine_steps=600,
                 adapter="ycbcr", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="rgb-hr2-ycc-c19-medium trained 10x longer on a GPU"),
        ZooEntry("rgb-hr2-ycc-post-only-c19-medium-gpu", "rgb-hr2", "medium", 64.0, 0, crop=128, batch=32,
                 refine_steps=2500, refine_lr=5e-4, adapter="ycbcr", plane_gains=(1.0, 1.9, 1.9), gain_knee=True,
                 summary="rgb-hr2-ycc-c19-medium-gpu's post-net alone (its control), trained on a GPU"),
        # a second H100 call: both of the pair trained further (so the control stays matched); -gpu2 is the
        # HEIC default (a lambda-32 fine-tune alongside was +0.02 dB and is not shipped: docs/ZOO.md)
        ZooEntry("rgb-hr2-ycc-c19-medium-gpu2", "rgb-hr2", "medium", 64.0, 4000, crop=128, batch=32, lr=2.5e-4,
                 refine_steps=300, init="rgb-hr2-ycc-c19-medium-gpu",
                 summary="rgb-hr2-ycc-c19-medium-gpu trained a further 4000 + 300 steps"),
        ZooEntry("rgb-hr2-ycc-post-only-c19-medium-gpu2", "rgb-hr2", "medium", 64.0, 0, crop=128, batch=32,
                 refine_steps=1200, refine_lr=2.5e-4, init="rgb-hr2-ycc-post-only-c19-medium-gpu",
                 summary="rgb-hr2-ycc-post-only-c19-medium-gpu refined a further 1200 steps (the control of -gpu2)"),
        # 0.6.7: -gpu2's networks, coded through HEIC without deblocking, SAO and adaptive quantisation, which
        # smooth away or coarsen the pre-net's detail (held out: +0.12 dB per image over the filters alone,
        # which were +0.11 over -gpu2; that entry, heic_tuning="nlf", is not shipped, nor a 400-step CPU
        # refine of the post-net on nlf decodes, -0.04 dB: docs/ZOO.md)
        ZooEntry("rgb-hr2-ycc-c19-medium-gpu2-nlf-aq0", "rgb-hr2", "medium", 64.0, 0, crop=128, batch=32,
                 init="rgb-hr2-ycc-c19-medium-gpu2", heic_tuning="nlf-aq0",
                 summary="rgb-hr2-ycc-c19-medium-gpu2 coded through HEIC without in-loop filters and adaptive "
                         "quantisation (same networks)"),
        ZooEntry("rgb-hr2-post-only-slim", "rgb-hr2", "slim", 16.0, 0, crop=128, refine_steps=800, refine_lr=5e-4,
                 summary="rgb-hr2's post-net alone (super-resolution of the plain bicubic bottleneck)"),
        # 16-bit HDR through 8-bit HEIC: trained where 8 bits run out (high qualities), on the train split
        # of ../shared/data/hdr (EXR through PQ); every 5th file is held out.
        ZooEntry("hdr-444-slim", "hdr-444", "slim", 0.05, 2500, crop=128, refine_steps=400,
                 refine_qualities=(60, 98), summary="16-bit (HDR, PQ) over 8-bit 4:4:4", data="hdr"),
        # 16-bit HDR, fixed maps only: YCbCr (the colour decorrelation x265 rewards; the top-8
        # baseline codes RGB planes) with chroma at 1.5x contrast (1.0 / 1.5 / 2.0 scanned on the 14
        # training EXRs: -11.1 / -20.5 / -19.9 % vs the top-8 front there), rounded once, in float, and
        # the recipe's per-image tone curve from q50. Its networks are the identity (lite preset, no
        # steps): every HDR post-net trained so far cost 0.8-1.5 dB (docs/ZOO.md).
        ZooEntry("hdr-444-ycc", "hdr-444", "lite", 0.0, 0, adapter="ycbcr", plane_gains=(1.0, 1.5, 1.5),
                 gain_knee=True,
                 summary="16-bit (HDR, PQ) over 8-bit 4:4:4 as YCbCr, chroma finer; identity networks",
                 data="hdr"),
        ZooEntry("normal-444-slim", "normal-444", "slim", 30.0, 4000, refine_steps=600,
                 summary="tangent-space normal map over 4:4:4", data="materials"),
        # the same nets with per-plane gains: n_x (luma) 0.6, n_y (chroma) 1.2 -- HEVC's chroma tools code
        # n_y worse than luma codes n_x, so it needs finer steps; scanned by hand on training crops
        # (+18.6 % -> +4.5 % vs the envelope of the baselines there); the post-net re-refined briefly
        ZooEntry("normal-444-slim-g", "normal-444", "slim", 30.0, 0, refine_steps=300, init="normal-444-slim",
                 plane_gains=(0.6, 1.2, 1.0), summary="tangent-space normal map over 4:4:4, n_y finer than n_x",
                 data="materials"),
        ZooEntry("normal-444-slim-g2", "normal-444", "slim", 30.0, 0, init="normal-444-slim-g", gain_knee=True,
                 summary="normal-444-slim-g whose n_y gain does not clip steep normals", data="materials"),
        # fixed maps for the upper rates: n_x, n_y, flat in one 4:4:4 image with n_y (HEVC Cb) 2 QP finer --
        # what the n_y gain of -g2 did, without using up code range on steep normals. Cb offsets 0/-2/-3/-4
        # scanned on 8 training materials (front with -g2, filter on): -6.0 / -8.3 / -7.6 / -6.9 %
        ZooEntry("normal-444-cq2", "normal-444", "lite", 0.0, 0, adapter="normal_xy_flat", heic_chroma_qp=(-2, 0),
                 summary="tangent-space normal map over 4:4:4, n_y 2 QP finer; identity networks", data="materials"),
    )
}


def zoo_tuning(model_id: str) -> str:
    """The x265 tuning a zoo model codes HEIC with (``default`` for other ids): ``info`` says it, since the
    manifest does not store it (decoders need nothing from it; :attr:`CodecSettings.tuning`)."""
    entry = ZOO.get(model_id)
    return entry.heic_tuning if entry is not None else "default"


DEFAULTS: dict[str, str] = {"rgb-400": "rgb-400-slim", "rgb-420": "rgb-420-slim-ls3", "rgb-444": "rgb-444-slim-v7",
                            "pbr8-400": "pbr8-400-slim", "normal-444": "normal-444-slim-g2",
                            "rgb-hr2": "rgb-hr2-ycc-c19-medium-gpu2-nlf-aq0", "hdr-444": "hdr-444-ycc"}
CODEC_DEFAULTS: dict[tuple[str, str], str] = {("rgb-444", "jpeg"): "rgb-444-slim-v4"}
"""(recipe, codec) -> a different default for that codec. Chroma x1.9 suits HEIC but costs bits through
JPEG's flat tables: rgb-444-slim-v5's JPEG BD-rate on 10 training photos is -8.0 % at its own gain and
-10.6 % at 1.3 (v4, chroma x1.3: -10.3 %). rgb-hr2 had one too (rgb-hr2-ycc-lowrate-slim, +0.22 dB over
the c19 slim model with JPEG) until rgb-hr2-ycc-c19-medium-gpu2 beat it there by +0.25 dB on the same 10
held-out photos (docs/results/rgb-hr2-jpeg-gpu): one model for both codecs again."""
# hdr-444-slim is not a default: it beats the plain linear map on 3 of 4 held-out HDR images but fails on
# one (a dark scene: -14 dB), and hdr-444-ycc beats both everywhere (docs/ZOO.md).
