"""Networks, the learned sandwich, training with resume, weights files, and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from texsandwich.container import read_tsw
from texsandwich.errors import CodecError, InputError, UsageError
from texsandwich.evaluate import evaluate, write_report
from texsandwich.layout import Layout
from texsandwich.metrics import psnr
from texsandwich.models import load_model
from texsandwich.nets import PRESETS, Processor, macs_per_pixel, parameter_count
from texsandwich.pipeline import (
    code_bottleneck,
    codec_settings,
    compress,
    decode_bottleneck,
    encode_bottleneck,
    merge_decoded,
    reconstruct,
    to_image,
    to_tensor,
)
from texsandwich.recipes import get_recipe
from texsandwich.sandwich import Sandwich, load_sandwich, parse_band_table, save_sandwich
from texsandwich.train import TrainConfig, train


def test_presets_match_the_paper_sizes():
    sizes = {n: (parameter_count(Processor(3, 3, p, lambda x: x)), macs_per_pixel(Processor(3, 3, p, lambda x: x), 3))
             for n, p in PRESETS.items() if n != "full"}
    assert 0.44e6 < sizes["medium"][0] < 0.50e6
    assert 55e3 < sizes["slim"][0] < 60e3 and 40e3 < sizes["slim"][1] < 46e3
    assert sizes["lite"][1] <= 2000


@pytest.mark.parametrize("shape", [(1, 3, 17, 23), (2, 3, 64, 40), (1, 3, 1, 1)])
def test_processor_takes_any_size_and_starts_as_its_base(shape):
    base = lambda x: x * 0.5 + 3  # noqa: E731
    p = Processor(3, 1, PRESETS["slim"], lambda x: base(x)[:, :1])
    x = torch.rand(shape) * 255
    y = p(x)
    assert y.shape == (shape[0], 1, *shape[-2:])
    assert torch.allclose(y, base(x)[:, :1]), "zero-initialised residual: starts as the adapter"


def test_untrained_sandwich_equals_plain_adaptation(photo):
    r = get_recipe("rgb-420")
    learned, plain = Sandwich(r, "lite").eval(), load_model("none", r)
    a = compress(photo, r, learned, "jpeg", 60).reconstruction
    b = compress(photo, r, plain, "jpeg", 60).reconstruction
    assert np.abs(a.astype(int) - b).max() <= 1


def _lite_sandwich(recipe_id: str, photo: np.ndarray) -> tuple[Sandwich, torch.Tensor]:
    """An untrained lite model whose networks already act (residual gates open), and a 64² crop."""
    model = Sandwich(get_recipe(recipe_id), "lite")
    with torch.no_grad():
        model.pre_net.s.fill_(0.1)
        model.post_net.s.fill_(0.1)
    return model, to_tensor(photo[:64, :64])


def test_proxy_training_pass_has_gradients_everywhere(photo):
    model, x = _lite_sandwich("rgb-400", photo)
    out = model(x)
    (((out["x_hat"] - x) ** 2).mean() + 0.01 * out["bits"].mean()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert model.pre_net.mlp.out.weight.grad.abs().sum() > 0


def test_real_forward_pass_sees_real_heic_and_trains_the_pre_net_through_the_proxy(photo):
    """TrainConfig.real_forward: the loss sees the real HEIC decode; the gradient reaches the pre-net."""
    from texsandwich.train import real_codec_pass, real_decodes

    model, x = _lite_sandwich("rgb-444", photo)
    out = real_codec_pass(model, x, (30, 30), np.random.default_rng(0))
    real = real_decodes(model, model.pre(x), ["heic"], (30, 30), np.random.default_rng(0))
    proxy = model(x)
    assert torch.allclose(out["y_hat"], real, atol=1e-4)  # the real codec's decode, not the proxy's
    assert not torch.allclose(out["y_hat"], proxy["y_hat"], atol=0.5)
    assert torch.equal(out["bits"], proxy["bits"])  # the rate stays the proxy's
    (((out["x_hat"] - x) ** 2).mean() + 0.01 * out["bits"].mean()).backward()
    assert model.pre_net.mlp.out.weight.grad.abs().sum() > 0
    # the codec passed straight through (real_forward_grad='identity'): the same decode, and the error's
    # gradient reaches the coded planes unchanged, as the encoder's per-image search takes it
    y = model.pre(x).detach().requires_grad_(True)
    model.pre = lambda _x: y  # type: ignore[method-assign]
    out = real_codec_pass(model, x, (30, 30), np.random.default_rng(0), grad="identity")
    assert torch.allclose(out["y_hat"], real, atol=1e-4)
    out["y_hat"].sum().backward()
    assert torch.equal(y.grad, torch.ones_like(y))
    with pytest.raises(ValueError, match="'proxy' or 'identity'"):
        real_codec_pass(model, x, (30, 30), np.random.default_rng(0), grad="none")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, example_dir) -> Path:
    out = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=6, crop=32,
                      batch=2, checkpoint_seconds=0)
    summary = train(cfg, out, progress=False)
    assert np.isfinite(summary["loss"])
    return out


def test_training_writes_fp16_weights_with_metadata(tiny_model):
    m = load_sandwich(tiny_model)
    assert m.metadata["recipe"] == "rgb-444" and m.metadata["preset"] == "lite"
    assert {"lambda", "step", "seed", "git_commit", "config"} <= set(m.metadata)
    assert json.loads(m.metadata["config"])["steps"] == 6
    from safetensors import safe_open

    with safe_open(str(tiny_model), "pt") as f:
        assert all(f.get_tensor(k).dtype == torch.float16 for k in f.keys())  # noqa: SIM118


def test_loaded_models_run_channels_last_and_save_back_unchanged(tiny_model, tmp_path, photo):
    """Inference runs NHWC (faster on the CPU); that changes float rounding only, never the weights."""
    m = load_sandwich(tiny_model)
    convs = [p for p in m.parameters() if p.ndim == 4]
    assert convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)
    x = to_tensor(photo)
    nchw = load_sandwich(tiny_model).to(memory_format=torch.contiguous_format)
    with torch.no_grad():
        assert torch.allclose(m.post(m.pre(x)), nchw.post(nchw.pre(x)), atol=1e-3)
    again = tmp_path / "again.safetensors"
    save_sandwich(m, again, 1.0, {})
    for (k, v), (_, w) in zip(m.state_dict().items(), load_sandwich(again).state_dict().items(), strict=True):
        assert torch.equal(v, w), k


def test_resume_continues_from_the_checkpoint(tiny_model, example_dir):
    cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=6, crop=32,
                      batch=2, checkpoint_seconds=0)
    state = torch.load(tiny_model.with_name(tiny_model.name + ".ckpt"), weights_only=False)
    assert state["step"] == 6
    summary = train(cfg, tiny_model, resume=True, progress=False)  # nothing left to do: exports again
    assert summary["train_seconds"] >= state["elapsed"]
    with pytest.raises(UsageError):
        train(TrainConfig(**{**cfg.__dict__, "lmbda": 99.0}), tiny_model, resume=True, progress=False)


def test_init_starts_from_another_models_weights(tiny_model, example_dir, tmp_path):
    cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=0, crop=32,
                      batch=2, refine_steps=1, refine_lr=1e-12, init=str(tiny_model))
    train(cfg, tmp_path / "ft.safetensors", progress=False)
    a, b = load_sandwich(tiny_model), load_sandwich(tmp_path / "ft.safetensors")
    # a vanishing learning rate: the pre-net (untouched) and the post-net are the initial model's
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.allclose(v, w, atol=1e-3), k
    with pytest.raises(UsageError):
        train(TrainConfig(**{**cfg.__dict__, "recipe": "rgb-420"}), tmp_path / "x.safetensors", progress=False)


def test_pre_net_only_training_leaves_the_post_net_as_init_gave_it(tiny_model, example_dir, tmp_path):
    cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=3, crop=32,
                      batch=2, lr=1e-2, init=str(tiny_model), train_post=False)
    train(cfg, tmp_path / "pre.safetensors", progress=False)
    a, b = load_sandwich(tiny_model), load_sandwich(tmp_path / "pre.safetensors")
    moved = {k for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items(), strict=True)
             if not torch.equal(v, w)}
    assert any(k.startswith("pre_net.") for k in moved)  # a large lr: the pre-net moved
    assert not any(k.startswith("post_net.") for k in moved)  # fp16 round trip of unchanged weights is exact


def test_a_model_can_name_another_adapter_and_keeps_it(example_dir, tmp_path, photo):
    """An rgb-420 model on the least-squares chroma adapter: stored in its metadata, used on load."""
    cfg = TrainConfig(recipe="rgb-420", data=str(example_dir), split="all", preset="lite", steps=0, crop=32,
                      batch=2, refine_steps=1, refine_codecs="jpeg", adapter="ycbcr420ls")
    out = tmp_path / "ls.safetensors"
    train(cfg, out, progress=False)
    m = load_sandwich(out)
    assert m.metadata["adapter"] == "ycbcr420ls" and m.adapter_name == "ycbcr420ls"
    from texsandwich.adapters import rgb_to_ycbcr420_ls

    x = to_tensor(photo)
    assert torch.allclose(m.pre(x), rgb_to_ycbcr420_ls(x), atol=1e-3)  # the pre-net's residual starts at 0
    ft = tmp_path / "ft.safetensors"  # fine-tuning keeps the adapter of the model it starts from
    train(TrainConfig(**{**cfg.__dict__, "adapter": None, "init": str(out)}), ft, progress=False)
    assert load_sandwich(ft).adapter_name == "ycbcr420ls"
    with pytest.raises(UsageError, match="unknown adapter"):
        Sandwich(get_recipe("rgb-420"), "lite", adapter="nope")


def test_learned_model_round_trips_through_tsw(tiny_model, photo):
    r = get_recipe("rgb-444")
    model = load_model(str(tiny_model), r)
    c = compress(photo, r, model, "heic", 50)
    tsw = read_tsw(c.data)
    assert tsw.manifest.model_sha256 == model.sha256[:16] and tsw.manifest.model_id == "tiny"
    assert np.array_equal(reconstruct(tsw, model), c.reconstruction)
    assert psnr(c.reconstruction, photo) > 25


def test_model_for_another_recipe_is_refused_naming_both(tiny_model):
    with pytest.raises(UsageError, match=r"rgb-444.*rgb-400"):
        load_model(str(tiny_model), get_recipe("rgb-400"))
    with pytest.raises(UsageError, match="rgb-400"):
        load_model("rgb-444-slim", get_recipe("rgb-400"))


def test_bad_model_files(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(InputError):
        load_model(str(bad), get_recipe("rgb-444"))
    with pytest.raises(InputError):
        load_model(str(tmp_path / "missing.safetensors"), get_recipe("rgb-444"))


def test_non_finite_bottleneck_never_reaches_the_codec():
    y = torch.full((1, 3, 8, 8), float("nan"))
    with pytest.raises(CodecError):
        encode_bottleneck(y, Layout("444", 3), "heic", codec_settings("heic", 50, None))


def test_evaluation_report_and_plot(tmp_path, example_dir):
    small = tmp_path / "imgs"
    small.mkdir()
    for name in ("chelsea", "coffee"):
        Image.open(example_dir / f"{name}.png").crop((0, 0, 96, 64)).save(small / f"{name}.png")
    r = get_recipe("rgb-420")
    files = sorted(small.iterdir())
    report = evaluate(r, files, [load_model("none", r)], "jpeg", [30, 60, 90], progress=False)
    write_report(report, tmp_path / "rep")
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    names = {"none", "jpeg ycbcr-420", "jpeg ycbcr-444"}
    assert {c["name"] for c in data["curves"]} == names | {f"{n} (packed heads)" for n in names - {"none"}}
    assert len(data["curves"][0]["images"]) == 2
    assert data["summary"]["bd_rate_percent"] is not None
    curves = {c["name"]: c for c in data["curves"]}
    for n in names - {"none"}:  # the control: same reconstructions, fewer bytes (JPEG marker heads packed)
        plain, packed = curves[n]["mean"], curves[f"{n} (packed heads)"]["mean"]
        assert all(a["psnr"] == b["psnr"] and b["bpp"] < a["bpp"] for a, b in zip(plain, packed, strict=True))
    assert data["summary_packed_baselines"]["bd_rate_percent"] > data["summary"]["bd_rate_percent"]
    assert (tmp_path / "rep" / "rd.png").stat().st_size > 10_000


def test_half_resolution_report_draws_the_full_resolution_codec_as_a_reference(tmp_path, example_dir):
    small = tmp_path / "imgs"
    small.mkdir()
    Image.open(example_dir / "chelsea.png").crop((0, 0, 96, 64)).save(small / "chelsea.png")
    r = get_recipe("rgb-hr2")
    report = evaluate(r, sorted(small.iterdir()), [load_model("none", r)], "jpeg", [40, 90], progress=False)
    curves = {c.get("name"): c for c in json.loads(json.dumps(report, default=float))["curves"]}
    ref, half = curves["jpeg ycbcr-444 (reference)"], curves["jpeg bicubic-ycbcr-444"]
    assert ref["kind"] == "reference"
    for a, b in zip(ref["mean"], half["mean"], strict=True):  # four times the pixels: more bits, more detail
        assert a["bpp"] > b["bpp"] and a["psnr"] > b["psnr"]
    # never in the front the recipe is scored against
    assert all(p[0] != ref["mean"][-1]["bpp"] for p in report["baseline_front"])
    assert {"summary_references", "baselines_vs_references", "headroom"} <= set(report)
    assert "references" in r.to_json()
    write_report(report, tmp_path / "rep")
    assert (tmp_path / "rep" / "headroom.png").exists() == (report["headroom"] is not None)


def test_refinement_stage_updates_only_the_post_net(tmp_path, example_dir):
    cfg = TrainConfig(recipe="rgb-420", data=str(example_dir), split="all", preset="lite", steps=3, crop=32,
                      batch=2, checkpoint_seconds=0)
    first = tmp_path / "a.safetensors"
    train(cfg, first, progress=False)
    before = load_sandwich(first)
    refined = TrainConfig(**{**cfg.__dict__, "refine_steps": 3})
    summary = train(refined, first, resume=True, progress=False)  # extends the finished first stage
    after = load_sandwich(first)
    assert np.isfinite(summary["psnr"])
    pre_same = all(torch.equal(a, b) for a, b in zip(before.pre_net.state_dict().values(),
                                                       after.pre_net.state_dict().values(), strict=True))
    post_same = all(torch.equal(a, b) for a, b in zip(before.post_net.state_dict().values(),
                                                        after.post_net.state_dict().values(), strict=True))
    assert pre_same and not post_same


def test_a_recipe_may_default_to_another_model_for_one_codec():
    """rgb-444's chroma x1.9 (v5 and its banded successors) suits HEIC; with JPEG the default stays v4 (x1.3)."""
    from texsandwich.models import default_model
    from texsandwich.zoo import CODEC_DEFAULTS, ZOO

    r = get_recipe("rgb-444")
    assert default_model(r, "heic") == default_model(r) == "rgb-444-slim-v7"
    assert default_model(r, "jpeg") == "rgb-444-slim-v4" == load_model(None, r, "jpeg").model_id
    assert all(ZOO[z].recipe == rid and ZOO[z].available for (rid, _), z in CODEC_DEFAULTS.items())


def test_train_zoo_overrides_reach_the_training_config_and_unknown_names_are_refused():
    """tools/train_zoo.py --set/--split: a GPU run trains a zoo entry on a copy of its train split ('all')."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from texsandwich.zoo import ZOO
    from tools.train_zoo import entry_config, parse_set

    sets = parse_set(["steps=200", "refine_qualities=(10, 60)", "refine_codecs=heic"])
    assert sets == {"steps": 200, "refine_qualities": (10, 60), "refine_codecs": "heic"}
    c = entry_config(ZOO["rgb-hr2-ycc-c19-medium-gpu"], Path("/data"), split="all", overrides=sets)
    assert (c.steps, c.refine_qualities, c.refine_codecs, c.split) == (200, (10, 60), "heic", "all")
    assert (c.batch, c.preset, c.data) == (32, "medium", "/data/photos")  # the entry's own settings stay
    from texsandwich.zoo import ZooEntry

    mixed = ZooEntry("x", "rgb-hr2", "slim", 1.0, 0, data=("photos", "materials"))
    assert entry_config(mixed, Path("/data")).data == f"/data/photos{os.pathsep}/data/materials"
    with pytest.raises(SystemExit, match="no training setting named stepz"):
        entry_config(ZOO["rgb-hr2-ycc-c19-medium-gpu"], Path("/data"), overrides={"stepz": 1})
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        parse_set(["steps"])


def test_zoo_models_are_shipped_small_and_used_by_default(photo):
    from texsandwich.models import default_model
    from texsandwich.zoo import DEFAULTS, ZOO

    for recipe_id, zid in DEFAULTS.items():
        entry = ZOO[zid]
        assert entry.available and entry.path.stat().st_size <= 3_000_000
        r = get_recipe(recipe_id)
        assert default_model(r) == zid
        model = load_model(None, r)
        assert model.model_id == zid and model.metadata["recipe"] == recipe_id
        assert model.heic_tuning == entry.heic_tuning  # what info says (zoo_tuning) is what the encoder does
        if r.source_kind == "rgb8":
            x = photo
        elif r.source_kind == "rgb16":
            x = photo.astype(np.uint16) * 257
        else:
            from texsandwich.assets import PBR8
            from texsandwich.procedural import procedural_material

            m = procedural_material(64, 72, seed=1)
            x = m.stack(PBR8) if r.source_kind == "material" else m.map("normal")
        c = compress(x, r, model, "heic", 50)
        tsw = read_tsw(c.data)
        assert tsw.manifest.model_id == zid
        assert np.array_equal(reconstruct(tsw, load_model(zid, r)), c.reconstruction)


def test_black_crops_put_exact_black_rectangles_in_some_crops():
    from texsandwich.train import random_batch

    img = np.full((64, 64, 3), 40000, np.uint16)
    rng = np.random.default_rng(0)
    x = random_batch([img], rng, 8, 32, black=1.0)
    for crop in x:
        black = (crop == 0).all(dim=0)
        assert int(black.sum()) >= 64  # a rectangle of at least 8x8 texels (crop // 4 a side)
    assert (random_batch([img], rng, 8, 32, black=0.0) > 0).all()


def test_residual_scale_weights_the_post_net_by_codec_quality_and_survives_saving(tiny_model, tmp_path, photo):
    """A repackaged model (init, no steps) with a table: full residual below q60 on HEIC, none from q60."""

    r = get_recipe("rgb-444")
    cfg = TrainConfig(recipe="rgb-444", data=str(tmp_path), preset="lite", steps=0, refine_steps=0,
                      init=str(tiny_model), residual_scale={"heic": ((0, 1.0), (60, 0.0))})
    out = tmp_path / "scaled.safetensors"
    train(cfg, out, progress=False)
    m = load_sandwich(out, r)
    assert m.residual_scale == {"heic": ((0, 1.0), (60, 0.0))}
    y = code_bottleneck(m.pre(to_tensor(photo)), r.layout, "heic", codec_settings("heic", 70, None))
    with torch.no_grad():
        full = m.post(y)  # no codec named: the whole residual
        base = m.post_net.base(y + (1.0 / m.plane_gain.view(1, -1, 1, 1) - 1.0) * (y - 128.0))
        assert torch.equal(m.post(y, "heic", 50), full) and torch.equal(m.post(y, "jpeg", 90), full)
        assert torch.equal(m.post(y, "heic", 70), base)
    c = compress(photo, r, m, "heic", 70)  # the decoder reads codec and quality from the manifest
    assert np.array_equal(c.reconstruction, to_image(base))
    with pytest.raises(UsageError, match="not both 0"):
        train(TrainConfig(recipe="rgb-444", data=str(tmp_path), steps=0, refine_steps=0), out, progress=False)
    # fixed maps alone (an adapter and plane gains) package with no steps and no data: identity networks
    fixed = tmp_path / "fixed.safetensors"
    train(TrainConfig(recipe="rgb-444", data=str(tmp_path / "nowhere"), preset="lite", steps=0, refine_steps=0,
                      adapter="ycbcr", plane_gains=(1.0, 1.5, 1.5)), fixed, progress=False)
    f = load_sandwich(fixed, r)
    assert f.adapter_name == "ycbcr" and f.plane_gain.tolist() == [1.0, 1.5, 1.5]
    x = to_tensor(photo)
    with torch.no_grad():
        assert torch.allclose(f.post(f.pre(x)), x, atol=1e-3)
    with pytest.raises(ValueError, match="ascending"):
        from texsandwich.sandwich import parse_residual_scale

        parse_residual_scale({"heic": [[50, 1.0], [10, 0.5]]})


def test_gain_knee_bends_instead_of_clipping_and_inverts_exactly():
    from texsandwich.sandwich import KNEE, knee_gain

    g = torch.tensor([1.0, 1.3, 1.5, 0.7]).view(1, 4, 1, 1)
    y = torch.linspace(0, 255, 256, dtype=torch.float64).view(1, 1, 1, -1).expand(1, 4, 1, -1)
    out = knee_gain(y, g)
    assert torch.allclose(knee_gain(out, g, inverse=True), y, atol=1e-9)
    assert float(out.min()) >= -0.5 and float(out.max()) <= 255.6  # every 8-bit input stays codable
    plain = y + (g - 1.0) * (y - 128.0)
    near = (y - 128.0).abs() <= KNEE * 127.5 / g.clamp_min(1.0)  # inside the knee: the plain gain
    assert torch.allclose(out[near.expand_as(out)], plain[near.expand_as(out)], atol=1e-9)
    assert torch.equal(out[:, 3], plain[:, 3]) and torch.equal(out[:, 0], y[:, 0])  # gains <= 1 never bend
    assert bool((out[:, 1:3].diff(dim=-1) > 0).all())  # monotone


def test_default_rgb444_keeps_saturated_colours_and_old_models_decode_as_coded(tmp_path):
    from texsandwich.metrics import psnr
    from texsandwich.models import load_model
    from texsandwich.pipeline import compress

    r = get_recipe("rgb-444")
    bars = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]], np.uint8)
    img = np.ascontiguousarray(np.repeat(np.repeat(bars[None], 32, 0), 32, 1))
    new, old = load_model(None, r), load_model("rgb-444-slim-v3", r)
    assert new.gain_knee and not old.gain_knee  # v3's files were coded with the plain gain: it stays
    assert psnr(compress(img, r, new, "heic", 90).reconstruction, img) > 45
    assert psnr(compress(img, r, old, "heic", 90).reconstruction, img) < 30  # chroma x1.3 clipped blue by 53


def test_post_bands_refine_one_copy_per_quality_band_and_decode_with_it(tiny_model, tmp_path, photo, example_dir):
    """Stage three: copies of the post-net, each refined on one band's real decodes; the manifest's codec
    and quality pick the copy at decode time, every other setting keeps the first post-net."""
    r = get_recipe("rgb-444")
    cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=0, crop=32,
                      batch=2, init=str(tiny_model), refine_lr=1e-2, checkpoint_seconds=0,
                      post_bands=(("heic", 10, 25, 2), ("heic", 26, 55, 2)))
    out = tmp_path / "banded.safetensors"
    train(cfg, out, progress=False)
    m = load_sandwich(out, r)
    base = load_sandwich(tiny_model, r)
    assert m.band_table == {"heic": ((10, 1), (26, 2), (56, 0))} and len(m.post_bands) == 2
    assert [m.post_index("heic", q) for q in (5, 10, 25, 26, 55, 56, 90)] == [0, 1, 1, 2, 2, 0, 0]
    assert m.post_index("jpeg", 20) == 0 and m.post_index(None, None) == 0
    same = [all(torch.equal(a, b) for a, b in zip(m.post_net_at(k).state_dict().values(),
                                                    base.post_net.state_dict().values(), strict=True))
            for k in range(3)]
    assert same == [True, False, False], "only the band copies were refined"
    y = code_bottleneck(m.pre(to_tensor(photo)), r.layout, "heic", codec_settings("heic", 20, None))
    with torch.no_grad():
        assert torch.equal(m.post(y, "heic", 20), m.post(y, index=1))
        assert not torch.equal(m.post(y, "heic", 20), m.post(y, "heic", 60))
    c = compress(photo, r, m, "heic", 20)  # decode picks the band net from the manifest
    tsw = read_tsw(c.data)
    assert np.array_equal(reconstruct(tsw, m), c.reconstruction)
    decoded = merge_decoded(decode_bottleneck(tsw), r.layout, *photo.shape[:2])
    with torch.no_grad():
        assert np.array_equal(c.reconstruction, to_image(m.post(decoded, index=1)))
    # a banded model is a valid --init (its bands come along) and bad tables are refused on load
    again = tmp_path / "again.safetensors"
    train(TrainConfig(**{**cfg.__dict__, "post_bands": (), "init": str(out)}), again, progress=False)
    assert load_sandwich(again, r).band_table == m.band_table
    assert m.band_ranges() == [("heic", 10, 25, 1), ("heic", 26, 55, 2)]
    # naming a band the init has continues from its weights: with 0 steps it is copied unchanged
    kept = tmp_path / "kept.safetensors"
    train(TrainConfig(**{**cfg.__dict__, "init": str(out), "post_bands": (("heic", 10, 25, 0), ("heic", 56, 90, 0))}),
          kept, progress=False)
    k = load_sandwich(kept, r)
    assert k.band_ranges() == [("heic", 10, 25, 1), ("heic", 56, 90, 2)]
    assert all(torch.equal(a, b) for a, b in zip(k.post_bands[0].state_dict().values(),
                                                  m.post_bands[0].state_dict().values(), strict=True))
    assert all(torch.equal(a, b) for a, b in zip(k.post_bands[1].state_dict().values(),
                                                  m.post_net.state_dict().values(), strict=True))
    with pytest.raises(ValueError, match="each of the 2"):
        parse_band_table({"heic": [[10, 1], [56, 0]]}, 2)
    with pytest.raises(UsageError, match="overlap"):
        Sandwich(r, "lite").set_post_bands([("heic", 10, 30), ("heic", 20, 40)])


def test_a_model_can_ask_heic_for_chroma_qp_offsets_and_the_manifest_records_them(tmp_path, photo):
    """Fixed maps with a finer Cb: the offsets live in the model file, reach x265 through the pipeline
    (HEIC only; JPEG codes the same model without them), are shown in the manifest and decode anywhere."""
    r = get_recipe("rgb-444")
    out = tmp_path / "cq.safetensors"
    train(TrainConfig(recipe="rgb-444", data=str(tmp_path / "nowhere"), preset="lite", steps=0, refine_steps=0,
                      adapter="ycbcr", heic_chroma_qp=(-4, -2)), out, progress=False)
    m = load_sandwich(out, r)
    assert m.heic_chroma_qp == (-4, -2)
    plain = load_model("none", r)
    c, p = compress(photo, r, m, "heic", 30), compress(photo, r, plain, "heic", 30)
    tsw = read_tsw(c.data)
    assert tsw.manifest.settings.chroma_qp == (-4, -2) and read_tsw(p.data).manifest.settings.chroma_qp == (0, 0)
    assert len(c.data) > len(p.data) and psnr(c.reconstruction, photo) > psnr(p.reconstruction, photo)
    assert np.array_equal(reconstruct(tsw, m), c.reconstruction)
    assert read_tsw(compress(photo, r, m, "jpeg", 30).data).manifest.settings.chroma_qp == (0, 0)
    with pytest.raises(UsageError, match="chroma QP"):
        train(TrainConfig(recipe="rgb-444", data=str(tmp_path), preset="lite", steps=0, adapter="ycbcr",
                          heic_chroma_qp=(-20, 0)), tmp_path / "bad.safetensors", progress=False)


def test_interrupted_evaluation_resumes_from_its_checkpoint(tmp_path, example_dir, monkeypatch):
    """An evaluation killed after its first image goes on from the checkpoint when started again: the
    first image is not coded again, and the report is the one an uninterrupted run writes. A checkpoint
    of another evaluation is refused, not mixed in."""
    import texsandwich.evaluate as ev

    small = tmp_path / "imgs"
    small.mkdir()
    for name in ("chelsea", "coffee"):
        Image.open(example_dir / f"{name}.png").crop((0, 0, 96, 64)).save(small / f"{name}.png")
    r = get_recipe("rgb-420")
    files, model = sorted(small.iterdir()), load_model("none", r)
    whole = evaluate(r, files, [model], "jpeg", [30, 90], progress=False)

    read, seen = ev.read_sources, []

    def crash_on_second(path, recipe):
        seen.append(path.name)
        if len(seen) == 2:
            raise KeyboardInterrupt  # what a lost session or Ctrl-C looks like to the loop
        return read(path, recipe)

    ckpt = tmp_path / "out" / "checkpoint.json"
    monkeypatch.setattr(ev, "read_sources", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        evaluate(r, files, [model], "jpeg", [30, 90], progress=False, checkpoint=ckpt)
    assert json.loads(ckpt.read_text())["done"] == [str(files[0].resolve())]

    seen.clear()
    monkeypatch.setattr(ev, "read_sources", lambda path, recipe: seen.append(path.name) or read(path, recipe))
    resumed = evaluate(r, files, [model], "jpeg", [30, 90], progress=False, checkpoint=ckpt)
    assert seen == [files[1].name]  # only the image the interruption lost
    for key in set(whole) - {"seconds"}:
        assert json.dumps(resumed[key], default=float) == json.dumps(whole[key], default=float), key
    with pytest.raises(UsageError, match="qualities"):
        evaluate(r, files, [model], "jpeg", [40, 90], progress=False, checkpoint=ckpt)


def test_a_model_with_an_x265_tuning_codes_heic_so_and_any_reader_decodes_its_files(tmp_path, photo):
    """The tuning lives in the model file and reaches x265 through the pipeline (HEIC only: JPEG codes the
    same model as before). Decoders need nothing from it, so the manifest does not carry it: the files stay
    the version older texsandwich reads, and decode like any other."""
    r = get_recipe("rgb-444")
    out = tmp_path / "nlf.safetensors"
    train(TrainConfig(recipe="rgb-444", data=str(tmp_path / "nowhere"), preset="lite", steps=0, refine_steps=0,
                      adapter="ycbcr", heic_tuning="nlf-aq0"), out, progress=False)
    m = load_sandwich(out, r)
    assert m.heic_tuning == "nlf-aq0" and load_model("none", r).heic_tuning == "default"
    c = compress(photo, r, m, "heic", 30)
    tsw = read_tsw(c.data)
    assert codec_settings("heic", 30, None, 8, "444", m).tuning == "nlf-aq0" and c.data[8:10] == b"\0\3"
    assert codec_settings("jpeg", 30, None, 8, "444", m).tuning == "default"
    assert np.array_equal(reconstruct(tsw, m), c.reconstruction)
    m.heic_tuning = "default"  # the same networks with libheif's x265 settings: another stream
    assert compress(photo, r, m, "heic", 30).data != c.data
    assert compress(photo, r, m, "jpeg", 30).data == compress(photo, r, load_sandwich(out, r), "jpeg", 30).data
    # a fine-tune of it keeps its tuning (the refine steps must see the decodes it will get)
    train(TrainConfig(recipe="rgb-444", data=str(tmp_path / "nowhere"), preset="lite", steps=0, refine_steps=0,
                      init=str(out)), tmp_path / "ft.safetensors", progress=False)
    assert load_sandwich(tmp_path / "ft.safetensors", r).heic_tuning == "nlf-aq0"
    with pytest.raises(UsageError, match="HEIC tuning"):
        train(TrainConfig(recipe="rgb-444", data=str(tmp_path), preset="lite", steps=0, adapter="ycbcr",
                          heic_tuning="fast"), tmp_path / "bad.safetensors", progress=False)


def test_gpu_launch_passes_each_specs_overrides_to_train_zoo(tmp_path):
    """tools/gpu/launch.sh "ID KEY=VALUE ...": one detached train_zoo run per spec, its words as --set.

    What a lent GPU session's one call starts (docs/GPU.md); a word lost here costs the session's
    device minutes, so the split is pinned with a ``python3`` that records its arguments instead of training.
    """
    import os
    import subprocess
    import time

    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "python3").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (fake / "python3").chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "GPU_DIR": str(tmp_path / "gpu")}
    root = Path(__file__).resolve().parents[1]
    subprocess.run(["bash", "tools/gpu/launch.sh", "model-a refine_steps=1500 refine_qualities=(10,60) x=*",
                    "model-b"], cwd=root, env=env, check=True)
    logs = {n: tmp_path / "gpu" / f"{n}.log" for n in ("model-a", "model-b")}
    deadline = time.monotonic() + 10
    while not all(p.exists() and p.read_text().strip() for p in logs.values()) and time.monotonic() < deadline:
        time.sleep(0.05)  # detached: the fake writes after launch.sh has returned
    args = {n: p.read_text().split("\n")[:-1] for n, p in logs.items()}
    common = ["tools/train_zoo.py", "--data", ".gpudata", "--split", "all", "--threads", "4"]
    assert args["model-a"] == [*common, "--only", "model-a", "--out", str(tmp_path / "gpu"),
                               "--set", "refine_steps=1500", "refine_qualities=(10,60)", "x=*"]
    assert args["model-b"] == [*common, "--only", "model-b", "--out", str(tmp_path / "gpu")]


def test_with_the_codec_passed_straight_through_the_proxy_step_stays_put(tmp_path, example_dir):
    # the proxy's reconstruction is not in the loss then: its step would learn from the rate alone and grow
    def step_after(steps: int, **kw) -> float:
        cfg = TrainConfig(recipe="rgb-444", data=str(example_dir), split="all", preset="lite", steps=steps, crop=32,
                          batch=2, checkpoint_seconds=0, **kw)
        out = tmp_path / f"{steps}-{len(kw)}.safetensors"
        train(cfg, out, progress=False)
        return float(load_sandwich(out).proxy.step.q.float().sum())

    identity = {"real_forward": (30, 30), "real_forward_grad": "identity"}
    assert step_after(1, **identity) == step_after(4, **identity)
    assert step_after(1) != step_after(4)  # through the proxy it learns, as before
