"""The command line: outputs, the one-line errors and exit codes, and that nothing is ever lost."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
from PIL import Image

from texsandwich.cli import main
from texsandwich.metrics import psnr


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out, err = capsys.readouterr()
    return e.value.code, out, err


@pytest.fixture
def images(tmp_path, example_dir) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    for name in ("chelsea", "coffee"):
        Image.open(example_dir / f"{name}.png").crop((0, 0, 160, 120)).save(d / f"{name}.png")
    return d


def test_recipes_lists_and_json(capsys):
    code, out, _ = run(capsys, "recipes")
    assert code == 0 and "rgb-420" in out
    code, out, _ = run(capsys, "recipes", "--json")
    ids = [r["id"] for r in json.loads(out)]
    assert {"rgb-400", "rgb-420", "rgb-444"} <= set(ids)


def test_every_command_has_help(capsys):
    for cmd in ("recipes", "compress", "decompress", "info", "unpack"):
        code, out, _ = run(capsys, cmd, "--help")
        assert code == 0 and "Usage:" in out


def test_compress_info_unpack_decompress_single_file(capsys, images, tmp_path):
    src = images / "chelsea.png"
    tsw = tmp_path / "c.tsw"
    code, out, err = run(capsys, "compress", str(src), "-o", str(tsw), "--recipe", "rgb-444", "--quality", "60")
    assert code == 0, err
    assert "bpp" in out and "PSNR" in out and tsw.is_file()
    code, out, _ = run(capsys, "info", str(tsw), "--json")
    info = json.loads(out)
    assert info["file_bytes"] == tsw.stat().st_size and info["manifest"]["codec"]["quality"] == 60
    code, out, _ = run(capsys, "info", str(tsw))
    assert code == 0 and "rgb-444" in out
    heads = next(line for line in out.splitlines() if line.startswith("heads"))
    found = re.findall(r"([\d,]+) bytes of stream heads.* in ([\d,]+)", heads)[0]
    raw, stored = (int(v.replace(",", "")) for v in found)
    assert raw > 300 and stored < raw / 4, heads  # one HEIC's boxes, packed against the dictionary
    code, out, _ = run(capsys, "unpack", str(tsw), "-o", str(tmp_path / "planes"))
    assert code == 0
    heic = tmp_path / "planes" / "c.0.heic"
    planes = np.asarray(pillow_heif.open_heif(heic)[0])
    assert planes.shape == (120, 160, 3)
    code, out, _ = run(capsys, "unpack", str(tsw), "-o", str(tmp_path / "quiet"), "-q")
    assert code == 0 and out == "" and (tmp_path / "quiet" / "c.0.heic").read_bytes() == heic.read_bytes()
    png = tmp_path / "c.png"
    code, _, err = run(capsys, "decompress", str(tsw), "-o", str(png))
    assert code == 0, err
    assert psnr(np.asarray(Image.open(png)), np.asarray(Image.open(src).convert("RGB"))) > 30


def test_info_names_the_x265_tuning_of_the_zoo_model_that_coded_a_file(capsys, images, tmp_path):
    """The manifest does not carry the tuning (decoders need nothing from it); ``info`` takes it from the zoo."""
    for recipe, codec, said in (("rgb-hr2", "heic", True), ("rgb-hr2", "jpeg", False), ("rgb-444", "heic", False)):
        tsw = tmp_path / f"{recipe}.{codec}.tsw"
        code, _, err = run(capsys, "compress", str(images / "chelsea.png"), "-o", str(tsw), "--recipe", recipe,
                           "--codec", codec, "--no-measure")
        assert code == 0, err
        code, out, _ = run(capsys, "info", str(tsw))
        assert code == 0 and ("x265 tuning nlf-aq0 (deblock=false sao=0 aq-mode=0" in out) == said, out


def test_an_output_ending_in_a_separator_is_a_folder_even_before_it_exists(capsys, images, tmp_path):
    # Path("out/") is Path("out"): one input with -o out/ wrote a file named "out"
    code, _, err = run(capsys, "compress", str(images / "chelsea.png"), "-o", f"{tmp_path / 'tsw'}/",
                       "--recipe", "rgb-444", "--quiet")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "tsw").iterdir()] == ["chelsea.tsw"]
    code, _, err = run(capsys, "decompress", str(tmp_path / "tsw" / "chelsea.tsw"), "-o", f"{tmp_path / 'png'}/",
                       "--quiet")
    assert code == 0, err
    assert [p.name for p in (tmp_path / "png").iterdir()] == ["chelsea.png"]
    # without the separator the name is the file's, as before
    assert run(capsys, "decompress", str(tmp_path / "tsw" / "chelsea.tsw"), "-o", str(tmp_path / "one.png"),
               "--quiet")[0] == 0 and (tmp_path / "one.png").is_file()


def test_directory_batch(capsys, images, tmp_path):
    code, _, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "tsw"), "--recipe", "rgb-420",
                         "--codec", "jpeg", "--step", "6")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "tsw").iterdir()) == ["chelsea.tsw", "coffee.tsw", "library.json"]
    code, _, err = run(capsys, "decompress", str(tmp_path / "tsw"), "-o", str(tmp_path / "png"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == ["chelsea.png", "coffee.png"]


def one_line_error(code: int, err: str, expected_code: int, needle: str) -> None:
    assert code == expected_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("texsandwich: error:") and needle in lines[0], err
    assert "Traceback" not in err


def test_decompress_writes_the_lossless_format_asked_for_and_never_replaces_by_surprise(capsys, images, tmp_path):
    code, _, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "t"), "--recipe", "rgb-444",
                       "--model", "none", "-q")
    assert code == 0, err
    one = tmp_path / "t" / "chelsea.tsw"
    assert run(capsys, "decompress", str(one), "-o", str(tmp_path / "ref.png"), "-q")[0] == 0
    ref = np.asarray(Image.open(tmp_path / "ref.png"))
    for suffix in (".tif", ".webp", ".bmp"):  # the format the name asks for, the same pixels
        assert run(capsys, "decompress", str(one), "-o", str(tmp_path / f"d{suffix}"), "-q")[0] == 0
        with Image.open(tmp_path / f"d{suffix}") as im:
            assert im.format == {".tif": "TIFF", ".webp": "WEBP", ".bmp": "BMP"}[suffix]
            assert np.array_equal(np.asarray(im.convert("RGB")), ref)
    code, _, err = run(capsys, "decompress", str(one), "-o", str(tmp_path / "d.jpg"))
    one_line_error(code, err, 2, "second loss")  # not PNG bytes under a .jpg name, as before 0.6.4
    code, _, err = run(capsys, "decompress", str(one), "-o", str(tmp_path / "d.exr"))
    one_line_error(code, err, 2, "holds an 8-bit image")
    assert not (tmp_path / "d.jpg").exists() and not (tmp_path / "d.exr").exists()
    # no suffix: .png added, and an existing file of that name is refused, not replaced
    (tmp_path / "e.png").write_bytes(b"precious")
    code, _, err = run(capsys, "decompress", str(one), "-o", str(tmp_path / "e"))
    one_line_error(code, err, 2, "e.png exists")
    assert (tmp_path / "e.png").read_bytes() == b"precious"
    # a batch leaves outputs that are already there (a rerun resumes) unless --force
    (tmp_path / "dec").mkdir()
    (tmp_path / "dec" / "coffee.png").write_bytes(b"mine")
    code, out, err = run(capsys, "decompress", str(tmp_path / "t"), "-o", str(tmp_path / "dec"))
    assert code == 0, err
    assert "1 of 2 output(s) already there" in out and (tmp_path / "dec" / "coffee.png").read_bytes() == b"mine"
    assert (tmp_path / "dec" / "chelsea.png").is_file()
    assert run(capsys, "decompress", str(tmp_path / "t"), "-o", str(tmp_path / "dec"), "--force", "-q")[0] == 0
    assert (tmp_path / "dec" / "coffee.png").read_bytes()[:4] == b"\x89PNG"


def test_errors_are_one_line_with_exit_codes(capsys, images, tmp_path):
    src = str(images / "chelsea.png")
    out = str(tmp_path / "x.tsw")
    one_line_error(*run(capsys, "compress", src, "-o", out, "--recipe", "nope")[::2], 2, "unknown recipe")
    bad_quality = ("--recipe", "rgb-444", "--quality", "101")
    one_line_error(*run(capsys, "compress", src, "-o", out, *bad_quality)[::2], 2, "quality")
    one_line_error(*run(capsys, "compress", src, "-o", out, "--recipe", "rgb-444", "--step", "4")[::2], 2, "--step")
    one_line_error(*run(capsys, "compress", str(tmp_path / "missing.png"), "-o", out, "--recipe", "rgb-444")[::2],
                   1, "no such file")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nthis is not a png")
    one_line_error(*run(capsys, "compress", str(bad), "-o", out, "--recipe", "rgb-444")[::2], 1, "cannot read image")
    assert not Path(out).exists(), "no output for a failed input"
    one_line_error(*run(capsys, "info", src)[::2], 1, "not a .tsw")
    one_line_error(*run(capsys, "frobnicate")[::2], 2, "No such command")


def test_sixteen_bit_inputs_are_refused_and_transparent_ones_carry_their_alpha(capsys, tmp_path):
    import png  # pypng: Pillow cannot write RGB16

    p16 = tmp_path / "deep.png"
    with open(p16, "wb") as f:
        png.Writer(8, 8, greyscale=False, bitdepth=16).write(f, (np.arange(8 * 8 * 3).reshape(8, 24) * 100).tolist())
    one_line_error(*run(capsys, "compress", str(p16), "-o", str(tmp_path / "a.tsw"), "--recipe", "rgb-444")[::2],
                   1, "8 bits")
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 100
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    code, _, err = run(capsys, "compress", str(tmp_path / "alpha.png"), "-o", str(tmp_path / "b.tsw"),
                       "--recipe", "rgb-444")  # until 0.6.5 refused; tests/test_alpha.py
    from texsandwich.container import read_tsw

    assert code == 0 and read_tsw((tmp_path / "b.tsw").read_bytes()).manifest.side == ("alpha",), err


def test_corrupt_tsw_and_nothing_is_lost(capsys, images, tmp_path):
    src = images / "chelsea.png"
    before = src.read_bytes()
    tsw = tmp_path / "c.tsw"
    assert run(capsys, "compress", str(src), "-o", str(tsw), "--recipe", "rgb-400")[0] == 0
    one_line_error(*run(capsys, "compress", str(src), "-o", str(src), "--recipe", "rgb-444", "--force")[::2],
                   2, "input")
    one_line_error(*run(capsys, "compress", str(src), "-o", str(tsw), "--recipe", "rgb-444")[::2], 2, "--force")
    assert src.read_bytes() == before
    cut = tmp_path / "cut.tsw"
    cut.write_bytes(tsw.read_bytes()[:-50])
    png = tmp_path / "cut.png"
    one_line_error(*run(capsys, "decompress", str(cut), "-o", str(png))[::2], 1, "truncated")
    assert not png.exists()
    assert not list(tmp_path.glob(".*.part")), "no temporary files left behind"
    for recipe in ("rgb-444", "hdr-444"):  # a .tsw given back to compress is named as one
        one_line_error(*run(capsys, "compress", str(tsw), "-o", str(tmp_path / "again.tsw"), "--recipe", recipe)[::2],
                       1, "already a compressed .tsw")
    one_line_error(*run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--bpp-range", "1.0", "0.2",
                        "-o", str(tmp_path / "ev"))[::2], 2, "0 < LO < HI")
    one_line_error(*run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--qualities", "30,30",
                        "-o", str(tmp_path / "ev"))[::2], 2, "two different values")
    one_line_error(*run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--codec", "jpeg",
                        "--bit-depth", "10", "-o", str(tmp_path / "ev"))[::2], 2, "8-bit planes")
    assert not (tmp_path / "ev").exists()  # refused before anything ran


@pytest.mark.parametrize("name", ["empty.png", "empty.exr", "empty.tif", "empty.hdr"])
def test_an_empty_hdr_source_is_an_error_not_an_interrupt(capsys, tmp_path, name):
    # pypng says EOFError for an empty PNG, and click turns a stray EOFError into "interrupted" (exit 130)
    (tmp_path / name).write_bytes(b"")
    out = tmp_path / "e.tsw"
    one_line_error(*run(capsys, "compress", str(tmp_path / name), "-o", str(out), "--recipe", "hdr-444")[::2],
                   1, name)
    assert not out.exists()


def test_several_inputs_to_a_file_name_are_refused_not_made_a_folder(capsys, images, tmp_path):
    # 0.6.10 made a folder named "both.tsw" and put the outputs in it
    srcs = [str(images / "chelsea.png"), str(images / "coffee.png")]
    one_line_error(*run(capsys, "compress", *srcs, "-o", str(tmp_path / "both.tsw"), "--recipe", "rgb-444")[::2],
                   2, "names a file, but several inputs need a folder")
    assert not (tmp_path / "both.tsw").exists()
    code, _, err = run(capsys, "compress", *srcs, "-o", str(tmp_path / "both.tsw") + "/", "--recipe", "rgb-444",
                       "--model", "none")
    assert code == 0 and (tmp_path / "both.tsw" / "coffee.tsw").is_file(), err  # said with a separator: a folder


def test_dry_run_says_what_would_be_written_and_writes_nothing(capsys, images, tmp_path):
    out = tmp_path / "o"
    code, stdout, err = run(capsys, "compress", str(images), "-o", str(out), "--recipe", "rgb-hr2", "--dry-run")
    assert code == 0 and not out.exists(), err
    assert f"chelsea.png -> {out / 'chelsea.tsw'} (rgb-hr2)" in stdout and "2 to write, 0 already done" in stdout
    assert run(capsys, "compress", str(images / "chelsea.png"), "-o", str(out) + "/", "--recipe", "rgb-444",
               "--model", "none")[0] == 0
    code, stdout, _ = run(capsys, "compress", str(images), "-o", str(out), "--recipe", "rgb-444", "-n")
    assert "chelsea.tsw: done, would be skipped" in stdout and "1 to write, 1 already done" in stdout
    assert sorted(p.name for p in out.iterdir()) == ["chelsea.tsw"]  # no index, no second file
    code, stdout, _ = run(capsys, "decompress", str(out / "chelsea.tsw"), "-o", str(tmp_path / "d") + "/", "-n")
    assert code == 0 and f"-> {tmp_path / 'd' / 'chelsea.png'} (rgb-444)" in stdout and not (tmp_path / "d").exists()
    # the checks still run: a refusal is the same with and without --dry-run
    one_line_error(*run(capsys, "compress", str(images / "chelsea.png"), str(images / "coffee.png"), "-o",
                        str(tmp_path / "x.tsw"), "--recipe", "rgb-444", "-n")[::2], 2, "names a file")


def test_batch_reports_bad_files_and_keeps_good_ones(capsys, images, tmp_path):
    (images / "broken.png").write_bytes(b"nope")
    code, _, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "o"), "--recipe", "rgb-444")
    assert code == 1
    assert "broken.png" in err and "1 of 3 assets failed" in err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["chelsea.tsw", "coffee.tsw", "library.json"]


def test_console_script_entry_point(images, tmp_path):
    exe = shutil.which("texsandwich", path=str(Path(sys.executable).parent))
    assert exe, "the texsandwich console script is installed"
    r = subprocess.run([exe, "compress", str(images / "nope.png"), "-o", str(tmp_path / "a.tsw"),
                        "--recipe", "rgb-444"], capture_output=True, text=True, check=False)
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and r.stdout == ""


def test_dash_reads_stdin_and_writes_stdout_through_a_pipe(images, tmp_path):
    def cli(*args: str, data: bytes = b"") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "texsandwich", *args], input=data, capture_output=True,
                              check=False, cwd=tmp_path)

    png = (images / "chelsea.png").read_bytes()
    r = cli("compress", "-", "-o", "-", "--recipe", "rgb-444", "--quality", "70", data=png)
    assert r.returncode == 0 and r.stdout[:8] == b"\x89TSW\r\n\x1a\n", r.stderr
    (tmp_path / "c.tsw").write_bytes(r.stdout)  # the same file compress writes by name
    assert cli("compress", str(images / "chelsea.png"), "-o", "named.tsw", "--recipe", "rgb-444",
               "--quality", "70").returncode == 0
    assert (tmp_path / "named.tsw").read_bytes() == r.stdout
    r = cli("decompress", "-", "-o", "-", data=r.stdout)
    assert r.returncode == 0 and r.stdout[:8] == b"\x89PNG\r\n\x1a\n" and not r.stderr, r.stderr
    back = np.asarray(Image.open(io.BytesIO(r.stdout)).convert("RGB")).astype(float)
    assert psnr(back, np.asarray(Image.open(images / "chelsea.png").convert("RGB")).astype(float)) > 30
    # stdin to a named file: the messages name "stdin.png", not a temporary path; -o stays relative to cwd
    r = cli("compress", "-", "-o", "out/s.tsw", "--recipe", "rgb-444", data=png)
    assert r.returncode == 0 and r.stdout.decode().startswith("stdin.png -> ")
    assert (tmp_path / "out" / "s.tsw").is_file()
    # what cannot work says so, and stdout stays empty
    for args, data, said in ((("compress", "-", "-o", "-", "--recipe", "rgb-444"), b"hello", "cannot tell what kind"),
                             (("compress", "-", "-o", "x.tsw", "--recipe", "rgb-444"), b"", "stdin is empty"),
                             (("decompress", "-", "-o", "-"), png, "holds no .tsw file"),
                             (("compress", "-", "-o", "-", "--recipe", "rgb-444", "--progress", "json"), png,
                              "cannot go with -o -")):
        r = cli(*args, data=data)
        assert r.returncode == 2 and said in r.stderr.decode() and (r.stdout == b"" or b"error" in r.stdout), args


def test_opaque_rgba_and_palette_are_converted_with_a_warning_gray_without(capsys, tmp_path):
    Image.fromarray(np.full((16, 24), 77, np.uint8)).save(tmp_path / "gray.png")
    rgba = np.full((16, 24, 4), 200, np.uint8)
    rgba[..., 3] = 255
    Image.fromarray(rgba).save(tmp_path / "opaque.png")
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "palette.png")
    for src, warned in (("gray.png", False), ("opaque.png", True), ("palette.png", True)):
        code, _, err = run(capsys, "compress", str(tmp_path / src), "-o", str(tmp_path / f"{src}.tsw"),
                           "--recipe", "rgb-444", "--model", "none")
        assert code == 0
        if warned:
            assert err.startswith("texsandwich: warning:") and err.count("\n") == 1, err
        else:  # a gray image loses nothing: it is decoded back to gray (tests/test_metadata.py)
            assert err == ""


def test_an_animation_or_a_multi_page_file_says_only_its_first_image_is_coded(capsys, tmp_path):
    import tifffile

    rng = np.random.default_rng(3)
    frames = [Image.fromarray(rng.integers(0, 255, (16, 24, 3), dtype=np.uint8)) for _ in range(3)]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:], lossless=True)
    frames[0].save(tmp_path / "pages.tif", save_all=True, append_images=frames[1:2])
    with tifffile.TiffWriter(tmp_path / "pages16.tif") as t:
        for _ in range(2):
            t.write(rng.integers(0, 65535, (16, 24, 3), dtype=np.uint16), photometric="rgb")
    for src, recipe, said in (("anim.webp", "rgb-444", "holds 3 images (frames or pages); only the first is coded"),
                              ("pages.tif", "rgb-444", "holds 2 images (frames or pages); only the first is coded"),
                              ("pages16.tif", "hdr-444", "holds 2 pages; only the first is coded")):
        code, _, err = run(capsys, "compress", str(tmp_path / src), "-o", str(tmp_path / f"{src}.tsw"),
                           "--recipe", recipe, "--model", "none")
        assert code == 0 and said in err and err.count("\n") == 1, err
    code, _, err = run(capsys, "decompress", str(tmp_path / "anim.webp.tsw"), "-o", str(tmp_path / "first.png"))
    assert code == 0 and Image.open(tmp_path / "first.png").size == (24, 16)


def test_dds_textures_are_read_found_in_trees_and_what_pillow_would_drop_is_said(capsys, images, tmp_path):
    src = tmp_path / "dds"
    src.mkdir()
    photo = Image.open(images / "chelsea.png").convert("RGB").crop((0, 0, 64, 64))
    photo.save(src / "plain.dds")  # uncompressed
    photo.convert("RGBA").save(src / "bc3.dds", pixel_format="DXT5")
    head = bytearray((src / "plain.dds").read_bytes())
    head[112:116] = (0x200 | 0xFC00).to_bytes(4, "little")  # dwCaps2: a cube map with all six faces
    (tmp_path / "cube.dds").write_bytes(bytes(head))
    bc6 = bytearray(head[:128]) + (95).to_bytes(4, "little") + bytes(16)  # DX10 header: BC6H_UF16
    bc6[84:88], bc6[112:116] = b"DX10", bytes(4)
    (tmp_path / "sky.dds").write_bytes(bytes(bc6) + bytes(64 * 64))
    code, _, err = run(capsys, "compress", str(src), "-o", str(tmp_path / "out"), "--recipe", "rgb-444")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").glob("*.tsw")) == ["bc3.tsw", "plain.tsw"]
    code, _, err = run(capsys, "compress", str(tmp_path / "cube.dds"), "-o", str(tmp_path / "cube.tsw"),
                       "--recipe", "rgb-444")
    assert code == 0 and "cube.dds: a cube map; only the first face or slice is coded" in err
    code, _, err = run(capsys, "compress", str(tmp_path / "sky.dds"), "-o", str(tmp_path / "sky.tsw"),
                       "--recipe", "rgb-444")
    assert code == 1 and "floating-point DDS (BC6H_UF16, HDR)" in err and err.count("\n") == 1
    assert not (tmp_path / "sky.tsw").exists()
    # a BC5 normal map stores x and y only: the normal recipe rebuilds z as a shader would
    y, x = np.mgrid[0:64, 0:64] / 64
    xy = np.stack([0.3 * np.sin(6 * x), 0.3 * np.cos(5 * y)], -1)
    n = np.concatenate([xy, np.sqrt(1 - (xy**2).sum(-1, keepdims=True))], -1)
    normal = np.round((n * 0.5 + 0.5) * 255).astype(np.uint8)
    Image.fromarray(normal).save(tmp_path / "n.dds", pixel_format="BC5")
    code, _, err = run(capsys, "compress", str(tmp_path / "n.dds"), "-o", str(tmp_path / "n.tsw"),
                       "--recipe", "normal-444", "--quality", "90")
    assert code == 0 and "two-channel (BC5) DDS" in err, err
    assert run(capsys, "decompress", str(tmp_path / "n.tsw"), "-o", str(tmp_path / "n.png"))[0] == 0
    back = np.asarray(Image.open(tmp_path / "n.png").convert("RGB")).astype(float)
    assert psnr(back, normal.astype(float)) > 35  # z too: it was rebuilt, not coded as 0


def test_a_16_bit_or_exr_normal_map_is_coded_as_the_8_bit_map_it_rounds_to(capsys, tmp_path):
    # bakers write 16-bit normal maps by default; they were refused with advice to use the HDR recipe
    import OpenEXR
    import png

    from texsandwich.procedural import procedural_material

    n8 = procedural_material(48, 40, seed=1).map("normal")
    n16 = (n8.astype(np.uint32) * 257).astype(np.uint16)  # exactly the 8-bit values, widened
    with open(tmp_path / "n16.png", "wb") as f:
        png.Writer(40, 48, bitdepth=16, greyscale=False).write_array(f, n16.ravel())
    signed = (n8.astype(np.float32) / 255.0) * 2.0 - 1.0  # an EXR normal map holds [-1, 1]
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGB": signed}).write(str(tmp_path / "n.exr"))
    Image.fromarray(n8).save(tmp_path / "n8.png")
    files = {}
    for name in ("n8.png", "n16.png", "n.exr"):
        out = tmp_path / f"{name}.tsw"
        code, _, err = run(capsys, "compress", str(tmp_path / name), "-o", str(out), "--recipe", "normal-444")
        assert code == 0, err
        assert ("converted to 8 bits" in err) == (name != "n8.png")
        files[name] = out.read_bytes()
    assert files["n16.png"] == files["n8.png"] == files["n.exr"]  # the same 8-bit map is coded
    import cv2

    cv2.imwrite(str(tmp_path / "sky.hdr"), np.ones((8, 8, 3), np.float32))
    one_line_error(*run(capsys, "compress", str(tmp_path / "sky.hdr"), "-o", str(tmp_path / "s.tsw"), "--recipe",
                        "normal-444")[::2], 1, "Radiance HDR file holds light, not a normal map")


def test_target_psnr_works_on_image_files_too(capsys, images, tmp_path):
    code, stdout, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "t"), "--recipe", "rgb-444",
                            "--model", "none", "--codec", "jpeg", "--target-psnr", "31")
    assert code == 0, err
    lines = [line for line in stdout.splitlines() if " -> " in line and "PSNR" in line]
    assert len(lines) == 2
    for line in lines:
        assert float(line.split("PSNR ")[1].split(" dB")[0]) >= 31 and "(q" in line
    index = json.loads((tmp_path / "t" / "library.json").read_text())  # what a pipeline reads back
    for asset in index["assets"]:
        assert asset["psnr"] >= 31 and asset["measure"] == "PSNR" and 1 <= asset["quality"] <= 100
        assert asset["bpp"] == pytest.approx(8 * asset["bytes_out"] / (120 * 160))
    # a rerun skips both as done and still indexes what they measured
    code, stdout, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "t"), "--recipe", "rgb-444",
                            "--model", "none", "--codec", "jpeg", "--target-psnr", "31")
    assert code == 0 and "2 already done" in stdout, err
    assert json.loads((tmp_path / "t" / "library.json").read_text()) == index


def test_target_size_per_pixel_fits_every_image_of_a_tree(capsys, images, tmp_path):
    code, stdout, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "t"), "--recipe", "rgb-444",
                            "--model", "none", "--codec", "jpeg", "--target-size", "1.5bpp", "--no-measure")
    assert code == 0, err
    index = json.loads((tmp_path / "t" / "library.json").read_text())
    assert len(index["assets"]) == 2 and index["target_size"] == "1.5 bpp"
    for asset in index["assets"]:
        assert asset["bpp"] <= 1.5 and 1 <= asset["quality"] < 100
    assert stdout.count("(q") == 2
    one_line_error(*run(capsys, "compress", str(images), "-o", str(tmp_path / "u"), "--recipe", "rgb-444",
                        "--target-size", "lots")[::2], 2, "not a size")


def test_eval_skips_an_unreadable_source_and_says_so(capsys, images, tmp_path):
    """One bad file must not end an evaluation of hours (nor, resumed, stop it at the same file again):
    it is skipped with a warning, listed in the report, and only no readable source at all is an error."""
    rgba = np.zeros((24, 32, 4), np.uint8)
    Image.fromarray(rgba).save(images / "clear.png")  # transparent: the rgb recipes refuse it
    out = tmp_path / "report"
    code, stdout, err = run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none",
                            "--codec", "jpeg", "--qualities", "40,80", "-o", str(out))
    assert code == 0, err
    assert "clear.png: image has transparency" in err and "skipped" in err
    report = json.loads((out / "report.json").read_text())
    assert report["images"] == ["chelsea.png", "coffee.png"] and list(report["skipped"]) == ["clear.png"]
    assert "1 file(s) skipped, unreadable: clear.png" in stdout
    (images / "chelsea.png").unlink()
    (images / "coffee.png").unlink()
    code, _, err = run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none",
                       "--codec", "jpeg", "--qualities", "40,80", "-q", "-o", str(tmp_path / "none"))
    assert code == 1 and err.strip().splitlines()[-1].startswith("texsandwich: error: no source to measure")


def test_eval_command_writes_report(capsys, images, tmp_path):
    out = tmp_path / "report"
    code, stdout, err = run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none",
                            "--codec", "jpeg", "--qualities", "40,80", "--limit", "1", "-q", "-o", str(out))
    assert code == 0, err
    assert stdout == "", "-q: nothing but errors (the summary is in report.json)"
    report = json.loads((out / "report.json").read_text())
    assert report["images"] == ["chelsea.png"] and report["qualities"] == [40, 80]
    assert (out / "rd.png").is_file()
    assert not (out / "checkpoint.json").exists()  # the report holds all it held
    one_line_error(*run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--qualities", "40",
                        "-o", str(out))[::2], 2, "qualities")
    # a checkpoint that is not this evaluation's is refused, never mixed in; --fresh discards it
    (out / "checkpoint.json").write_text("{}")
    args = ("eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none", "--codec", "jpeg",
            "--qualities", "40,80", "--limit", "1", "-q", "-o", str(out))
    one_line_error(*run(capsys, *args)[::2], 2, "checkpoint")
    code, _, err = run(capsys, *args, "--fresh")
    assert code == 0, err
    assert json.loads((out / "report.json").read_text()) | {"seconds": 0} == report | {"seconds": 0}


def _material_folder(root, name, seed, metallic=False):
    from texsandwich.assets import write_material_folder
    from texsandwich.procedural import procedural_material

    m = procedural_material(48, 64, seed=seed, name=name)
    if metallic:
        from texsandwich.assets import PBR8, Material

        m = Material.from_maps(name, {n: m.map(n) for n in PBR8} | {"metallic": m.map("roughness")})
    write_material_folder(m, root / name)
    return root / name


def test_materials_compress_decompress_and_library_resume(capsys, tmp_path):
    lib = tmp_path / "lib"
    a = _material_folder(lib / "stone", "a", 1, metallic=True)
    _material_folder(lib / "stone", "b", 2)
    _material_folder(lib, "c", 3)
    # several material folders -> OUT/NAME.tsw, then -> DEC/NAME/albedo.png ...
    code, out, err = run(capsys, "compress", str(a), str(lib / "c"), "-o", str(tmp_path / "o"), "--recipe", "pbr8-400",
                         "--model", "none", "--quality", "70")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["a.tsw", "c.tsw", "library.json"]
    code, out, err = run(capsys, "decompress", str(tmp_path / "o" / "a.tsw"), str(tmp_path / "o" / "c.tsw"),
                         "-o", str(tmp_path / "dec"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "dec" / "a").iterdir()) == [
        "albedo.png", "metallic.png", "normal.png", "occlusion.png", "roughness.png"]
    assert not (tmp_path / "dec" / "c" / "metallic.png").exists()
    # library mode mirrors the tree, writes library.json, and a rerun skips what is done
    code, out, err = run(capsys, "compress", str(lib), "-o", str(tmp_path / "L"), "--recipe", "pbr8-400",
                         "--model", "none", "--jobs", "2")
    assert code == 0, err
    assert (tmp_path / "L" / "stone" / "a.tsw").is_file() and (tmp_path / "L" / "c.tsw").is_file()
    index = json.loads((tmp_path / "L" / "library.json").read_text())
    assert len(index["assets"]) == 3 and all(x["bytes_out"] > 0 for x in index["assets"])
    assert "total: 3 asset(s)" in out
    (tmp_path / "L" / "c.tsw").unlink()  # as if a run was killed before this one
    code, out, err = run(capsys, "compress", str(lib), "-o", str(tmp_path / "L"), "--recipe", "pbr8-400",
                         "--model", "none")
    assert code == 0, err
    assert "(2 already done)" in out and (tmp_path / "L" / "c.tsw").is_file()
    assert not list((tmp_path / "L").rglob("*.tmp*"))
    # a library of .tsw files decompresses into the mirrored tree of material folders
    code, out, err = run(capsys, "decompress", str(tmp_path / "L"), "-o", str(tmp_path / "D"))
    assert code == 0, err
    assert (tmp_path / "D" / "stone" / "b" / "normal.png").is_file()


def test_material_recipe_refuses_an_image_file(capsys, images, tmp_path):
    code, _, err = run(capsys, "compress", str(images / "chelsea.png"), "-o", str(tmp_path / "x.tsw"),
                       "--recipe", "pbr8-400", "--model", "none")
    one_line_error(code, err, 1, "material folder")


def test_progress_json_is_strict_json_one_object_per_line(capsys):
    import math

    from texsandwich.progress import Progress

    p = Progress("json", command="compress")
    p.event("material", name="m", shaded_psnr=math.inf, sizes=[1.0, math.nan], path=Path("a/b"))
    p.line("a human line")  # not in the stream
    out = capsys.readouterr().out.splitlines()
    assert out == ['{"event": "material", "name": "m", "shaded_psnr": null, "sizes": [1.0, null], "path": "a/b"}']
    with pytest.raises(ValueError):
        Progress("xml")


def test_encoder_steps_compress_eval_and_refusals(capsys, images, tmp_path):
    """--encoder-steps: compress says which step it kept; eval adds the optimised curve next to the plain
    one (only for the models named); recipes without an objective are refused before any work."""
    src = images / "chelsea.png"
    tsw = tmp_path / "c.tsw"
    code, out, err = run(capsys, "compress", str(src), "-o", str(tsw), "--recipe", "rgb-444", "--model", "none",
                         "--quality", "40", "--encoder-steps", "2")
    assert code == 0, err
    assert re.search(r"encoder optimisation: step \d of 2 kept", out) and tsw.is_file()
    code, out, err = run(capsys, "compress", str(src), "-o", str(tsw), "--recipe", "rgb-444", "--model", "none",
                         "--quality", "40", "--encoder-steps", "2", "--force", "--progress", "json")
    assert code == 0, err
    steps = [e for e in map(json.loads, out.splitlines()) if e.get("what") == "encoder step"]
    assert [(e["done"], e["total"]) for e in steps] == [(0, 2), (1, 2), (2, 2)]
    report_dir = tmp_path / "report"
    code, _, err = run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none",
                       "--codec", "jpeg", "--qualities", "40,60", "--limit", "1", "--encoder-steps", "1",
                       "-q", "-o", str(report_dir))
    assert code == 0, err
    report = json.loads((report_dir / "report.json").read_text())
    names = [c["name"] for c in report["curves"] if c["kind"] == "sandwich"]
    assert names == ["none", "none (encoder 1 steps)"] and report["encoder_steps"] == 1
    one_line_error(*run(capsys, "eval", "--recipe", "rgb-444", "--data", str(images), "--model", "none",
                        "--encoder-steps", "1", "--encoder-models", "nope", "-o", str(report_dir))[::2],
                   2, "--encoder-models")
    folder = _material_folder(tmp_path / "mats", "m", 1)
    one_line_error(*run(capsys, "compress", str(folder), "-o", str(tmp_path / "m.tsw"), "--recipe", "pbr8-400",
                        "--encoder-steps", "2")[::2], 2, "pbr8-400")
    assert not (tmp_path / "m.tsw").exists()


def test_running_out_of_memory_is_one_line_and_a_bug_stays_a_traceback(capsys, images, monkeypatch):
    import texsandwich.cli

    for raised in (MemoryError(), RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't "
                                               "allocate memory: you tried to allocate 4294967296 bytes.")):
        def fail(*args, _e=raised, **kwargs):
            raise _e

        monkeypatch.setattr(texsandwich.cli, "compress_file", fail)
        code, _, err = run(capsys, "compress", str(images / "coffee.png"), "-o", str(images / "c.tsw"),
                           "--recipe", "rgb-444", "--model", "none")
        assert code == 1 and err == "texsandwich: error: out of memory (a smaller image, or fewer --jobs, needs less)\n"

    def bug(*args, **kwargs):
        raise RuntimeError("shape mismatch")

    monkeypatch.setattr(texsandwich.cli, "compress_file", bug)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        main(["compress", str(images / "coffee.png"), "-o", str(images / "c.tsw"), "--recipe", "rgb-444"])


def test_tga_sources_are_found_in_a_tree_and_decompress_format_chooses_the_output_kind(capsys, tmp_path, photo):
    from tests.test_metadata import other_profile

    tree = tmp_path / "textures"
    (tree / "sub").mkdir(parents=True)
    Image.fromarray(photo[:24, :40]).save(tree / "wall.tga")
    Image.fromarray(photo[:24, :40, 0]).save(tree / "sub" / "mask.tga")
    Image.fromarray(photo[:24, :40]).save(tree / "wide.png", icc_profile=other_profile())
    code, _, err = run(capsys, "compress", str(tree), "-o", str(tmp_path / "c"), "--recipe", "rgb-444",
                       "--model", "none", "--quality", "90")
    assert code == 0, err
    assert sorted(a["source"] for a in json.loads((tmp_path / "c" / "library.json").read_text())["assets"]) == \
        ["sub/mask.tga", "wall.tga", "wide.png"]
    code, _, err = run(capsys, "decompress", str(tmp_path / "c"), "-o", str(tmp_path / "d"), "--format", "tga")
    assert code == 0
    assert "wide.tga: TGA cannot hold the source's colour profile; not written" in err
    for name, mode in (("wall.tga", "RGB"), ("sub/mask.tga", "L"), ("wide.tga", "RGB")):
        with Image.open(tmp_path / "d" / name) as im:
            assert im.format == "TGA" and im.mode == mode and im.size == (40, 24)
    code, _, err = run(capsys, "decompress", str(tmp_path / "c" / "wall.tsw"), "-o", str(tmp_path / "w.png"),
                       "--format", "tga")
    assert code == 2 and "--format tga, but -o names a .png file" in err and not (tmp_path / "w.png").exists()


def _avif_10bit(path, w: int = 64, h: int = 48) -> None:
    """A 10-bit AVIF (a luma ramp) through PyAV's SVT-AV1 (Pillow writes 8-bit AVIF only)."""
    import av

    with av.open(str(path), "w", format="avif") as out:
        stream = out.add_stream("libsvtav1", rate=1)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p10le"
        frame = av.VideoFrame(w, h, "yuv420p10le")
        for i, plane in enumerate(frame.planes):
            rows = np.full((h >> (i > 0), plane.line_size // 2), 512, np.uint16)
            if i == 0:
                rows[:, :w] += (np.arange(w) * 6).astype(np.uint16)
            plane.update(rows.tobytes())
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)


def test_avif_sources_are_read_and_a_10bit_one_is_said_to_be_read_at_8_bits(capsys, tmp_path, photo):
    from texsandwich.images import avif_bit_depth

    tree = tmp_path / "t"
    tree.mkdir()
    Image.fromarray(photo[:32, :48]).save(tree / "web.avif", quality=90)
    _avif_10bit(tree / "hdr.avif")
    assert (avif_bit_depth(tree / "web.avif"), avif_bit_depth(tree / "hdr.avif")) == (8, 10)
    code, _, err = run(capsys, "compress", str(tree), "-o", str(tmp_path / "c"), "--recipe", "rgb-444",
                       "--model", "none", "--quality", "90")
    assert code == 0, err
    assert sorted(a["source"] for a in json.loads((tmp_path / "c" / "library.json").read_text())["assets"]) == \
        ["hdr.avif", "web.avif"]
    assert "hdr.avif: a 10-bit AVIF, read at 8 bits" in err and "web.avif" not in err
    code, _, err = run(capsys, "compress", str(tree / "hdr.avif"), "-o", str(tmp_path / "h.tsw"), "--recipe", "hdr-444")
    assert code == 1 and "a 10-bit AVIF, which no reader here decodes beyond 8 bits" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "h.tsw").exists()


def test_decompress_format_applies_to_material_maps_and_unreal_names_are_read_back(capsys, tmp_path):
    from texsandwich.procedural import procedural_material

    m = procedural_material(32, 32, seed=4)
    src = tmp_path / "T_Rock"
    src.mkdir()
    for suffix, name in (("D", "albedo"), ("N", "normal"), ("R", "roughness"), ("AO", "occlusion")):
        a = m.map(name)
        Image.fromarray(a[..., 0] if a.shape[2] == 1 else a).save(src / f"T_Rock_{suffix}.tga")
    assert run(capsys, "compress", str(src), "-o", str(tmp_path / "r.tsw"), "--recipe", "pbr8-400",
               "--no-allocate")[0] == 0
    code, _, err = run(capsys, "decompress", str(tmp_path / "r.tsw"), "-o", str(tmp_path / "maps"), "--format", "tga")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == [
        "albedo.tga", "normal.tga", "occlusion.tga", "roughness.tga"]
    assert Image.open(tmp_path / "maps" / "roughness.tga").mode == "L"


def test_no_measure_writes_the_same_file_without_decoding_it(capsys, images, tmp_path, monkeypatch):
    import texsandwich.pipeline

    src = images / "coffee.png"
    assert run(capsys, "compress", str(src), "-o", str(tmp_path / "m.tsw"), "--recipe", "rgb-hr2")[0] == 0
    decodes = []
    real = texsandwich.pipeline.decode_float
    monkeypatch.setattr(texsandwich.pipeline, "decode_float", lambda *a, **k: decodes.append(1) or real(*a, **k))
    code, out, err = run(capsys, "compress", str(src), "-o", str(tmp_path / "n.tsw"), "--recipe", "rgb-hr2",
                         "--no-measure")
    assert code == 0 and "PSNR not measured" in out and not decodes, err
    assert (tmp_path / "n.tsw").read_bytes() == (tmp_path / "m.tsw").read_bytes()
    code, _, err = run(capsys, "compress", str(images), "-o", str(tmp_path / "lib"), "--recipe", "rgb-444",
                       "--no-measure")
    assert code == 0 and all(a["psnr"] is None and a["measure"] == "not measured"
                             for a in json.loads((tmp_path / "lib" / "library.json").read_text())["assets"])
    code, _, err = run(capsys, "compress", str(src), "-o", str(tmp_path / "t.tsw"), "--recipe", "rgb-444",
                       "--no-measure", "--target-psnr", "30")
    assert code == 2 and "cannot go with --no-measure" in err and not (tmp_path / "t.tsw").exists()


def test_train_with_no_steps_packages_a_tuning_and_says_so(capsys, tmp_path, images):
    """``train --steps 0 --init M --heic-tuning T`` is how a model is given another x265 tuning: it used to
    end in a KeyError traceback after writing the file, because no step left a PSNR to print."""
    base, out = tmp_path / "base.safetensors", tmp_path / "tuned.safetensors"
    code, _, err = run(capsys, "train", "--recipe", "rgb-hr2", "--data", str(images), "--preset", "lite",
                       "--steps", "0", "--adapter", "ycbcr", "-o", str(base), "-q")
    assert code == 0, err
    code, msg, err = run(capsys, "train", "--recipe", "rgb-hr2", "--data", str(images), "--preset", "lite",
                         "--steps", "0", "--init", str(base), "--heic-tuning", "nlf-aq0", "-o", str(out))
    assert code == 0 and "Traceback" not in err, err
    assert "packaged without training steps" in msg and out.exists()
    from texsandwich.recipes import get_recipe
    from texsandwich.sandwich import load_sandwich

    assert load_sandwich(out, get_recipe("rgb-hr2")).heic_tuning == "nlf-aq0"


def test_info_describes_a_model_file_or_zoo_id(capsys, tmp_path):
    """``info`` on a model: what a user checks before ``--model FILE`` (recipe, tuning, how it was trained)."""
    code, out, _ = run(capsys, "info", "rgb-hr2-ycc-c19-medium-gpu2-nlf-aq0")
    assert code == 0
    assert "x265 tuning nlf-aq0 (deblock=false sao=0 aq-mode=0)" in out
    assert "no steps: the networks of rgb-hr2-ycc-c19-medium-gpu2" in out  # packaged, not trained
    code, out, _ = run(capsys, "info", "rgb-hr2-ycc-c19-medium-gpu2", "--json")
    card = json.loads(out)
    assert code == 0 and card["recipe"] == "rgb-hr2" and card["preset"] == "medium"
    assert card["heic_tuning"] == "default" and card["training"]["steps"] == 4000
    assert card["pre_params"] == card["post_params"] > 100_000 and len(card["sha256"]) == 64
    code, _, err = run(capsys, "info", str(tmp_path / "missing.safetensors"))
    assert code != 0 and "no such model file" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "junk.safetensors").write_bytes(b"not a model")
    code, _, err = run(capsys, "info", str(tmp_path / "junk.safetensors"))
    assert code != 0 and "not a texsandwich model file" in err and "Traceback" not in err
