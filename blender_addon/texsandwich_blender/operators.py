"""Operators: export, import, compress/revert a material or the world's environment, test the CLI.

Long jobs run modal on a 0.1 s timer with Blender's progress indicator and a status-bar line; Esc
cancels (the CLI is killed, its staging folder removed). In background mode (``blender -b``, the
``bpy`` module) there is no event loop, so the same job runs to the end inside ``execute``.
"""


import time
from pathlib import Path

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from .cli import CliError, find_cli
from .jobs import (
    RATE_ITEMS,
    RATE_PROPS,
    RECIPE_ITEMS,
    SIZE_VERSION,
    ExportJob,
    ImportJob,
    Job,
    MaterialJob,
    WorldJob,
    revert_material,
    revert_world,
)

LAST: dict[str, str] = {"level": "", "message": ""}
"""The last message an operator reported (what a script or a test reads after calling it)."""


def _prefs(context):
    addon = context.preferences.addons.get(__package__)
    return addon.preferences if addon else None


def locate_cli(context) -> tuple[Path, tuple[int, ...]]:
    """The CLI from the preferences, or found automatically (:func:`cli.find_cli`), with its version (which
    finding it ran ``--version`` for: callers need not run it again)."""
    prefs = _prefs(context)
    preference = prefs.cli_path if prefs else ""
    search = [Path(__file__).resolve().parent]
    if bpy.data.filepath:
        search.insert(0, Path(bpy.data.filepath).resolve().parent)
    return find_cli(bpy.path.abspath(preference) if preference else "", tuple(search))


def _say(op, level: str, message: str) -> None:
    LAST["level"], LAST["message"] = level, message
    op.report({level}, message)


class JobRunner:
    """Mixin: run a :class:`Job` modal (interactive) or blocking (background)."""

    _job = None  # the running Job (no annotation: Blender reads class annotations as properties)
    _timer = None

    def run_with_cli(self, context, make_job):
        """Find the CLI (one error line when it cannot be used), then :meth:`run` ``make_job(cli)``."""
        try:
            cli, version = locate_cli(context)
        except CliError as e:
            _say(self, "ERROR", str(e))
            return {"CANCELLED"}
        if getattr(self, "rate", None) == "SIZE" and version is not None and version < SIZE_VERSION:
            _say(self, "ERROR", f"a Size budget needs texsandwich {'.'.join(map(str, SIZE_VERSION))} or newer "
                                f"(found {'.'.join(map(str, version))})")
            return {"CANCELLED"}
        job = make_job(cli)
        job.cli_version = version
        return self.run(context, job)

    def target(self) -> float | str | None:
        """The target of operators with a Rate option: a PSNR (dB), a size budget (``"4M"``), or None (a fixed
        quality)."""
        if self.rate == "SIZE":
            return f"{self.target_mb:g}M"
        return self.target_psnr if self.rate == "TARGET" else None

    def run(self, context, job: Job):
        LAST["level"] = LAST["message"] = ""
        try:
            job.begin(context)
        except CliError as e:
            job.cleanup()
            _say(self, "ERROR", str(e))
            return {"CANCELLED"}
        self._job = job
        if bpy.app.background or context.window is None:
            while not job.update():
                time.sleep(0.05)
            return self._end(context)
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        job = self._job
        assert job is not None
        if event.type == "ESC":
            job.cancel()
            self._stop_ui(context)
            _say(self, "WARNING", f"{job.title} cancelled; nothing was written")
            return {"CANCELLED"}
        if event.type == "TIMER":
            try:
                done = job.update()
            except CliError as e:
                job.cancel()
                self._stop_ui(context)
                _say(self, "ERROR", str(e))
                return {"CANCELLED"}
            pct = 100 if done else int(100 * job.fraction)
            context.window_manager.progress_update(pct)
            context.workspace.status_text_set(f"{job.status}  ({pct} %, Esc cancels)")
            if done:
                self._stop_ui(context)
                return self._end(context)
        return {"PASS_THROUGH"}

    def _stop_ui(self, context) -> None:
        if self._timer is not None:
            context.window_manager.event_timer_remove(self._timer)
            self._timer = None
            context.window_manager.progress_end()
            context.workspace.status_text_set(None)

    def _end(self, context):
        job = self._job
        assert job is not None
        try:
            summary = job.finish(context)
        except CliError as e:
            _say(self, "ERROR", str(e))
            return {"CANCELLED"}
        _say(self, "INFO", summary)
        for note in job.notes:
            self.report({"WARNING"}, note)
        return {"FINISHED"}


_codec = EnumProperty(name="Codec", items=[("heic", "HEIC", "HEVC still images (x265): best quality per byte"),
                                           ("jpeg", "JPEG", "Baseline JPEG: decodes everywhere")], default="heic")
_quality = IntProperty(name="Quality", min=1, max=100, default=50,
                       description="Codec quality 1-100; higher is larger and closer to the source")
_rate = EnumProperty(name="Rate", items=RATE_ITEMS, default="QUALITY")
_size = FloatProperty(name="Size (MB)", min=0.001, max=100000.0, default=4.0, precision=2, subtype="NONE",
                      description="Megabytes (10^6 bytes) the compressed textures may take together: an export's "
                                  "per model, a material's, a world's image; one codec quality is searched")
_target = FloatProperty(name="Target PSNR", min=20.0, max=60.0, default=40.0, precision=1, subtype="NONE",
                        description="Shaded-surface PSNR (dB) each material must reach; the codec quality is "
                                    "searched per material")


_material_recipe = EnumProperty(name="Recipe", items=RECIPE_ITEMS, default="AUTO")


class EXPORT_SCENE_OT_texsandwich_gltf(JobRunner, bpy.types.Operator, ExportHelper):
    """Export glTF 2.0 with textures compressed by texsandwich (.tsw sandwiches of HEIC/JPEG)"""

    bl_idname = "export_scene.texsandwich_gltf"
    bl_label = "Export glTF (texsandwich)"
    bl_options = {"PRESET"}

    filename_ext = ".gltf"
    filter_glob: StringProperty(default="*.gltf", options={"HIDDEN"})  # type: ignore[valid-type]
    rate: _rate  # type: ignore[valid-type]
    quality: _quality  # type: ignore[valid-type]
    target_psnr: _target  # type: ignore[valid-type]
    target_mb: _size  # type: ignore[valid-type]
    codec: _codec  # type: ignore[valid-type]
    recipe: _material_recipe  # type: ignore[valid-type]
    use_selection: BoolProperty(name="Selected Objects", default=False)  # type: ignore[valid-type]

    def execute(self, context):
        return self.run_with_cli(context, lambda cli: ExportJob(cli, self.filepath, self.quality, self.codec,
                                                                self.recipe, self.use_selection, self.target()))

    def draw(self, context):
        layout = self.layout
        layout.use_property_split = True
        layout.prop(self, "rate")
        layout.prop(self, RATE_PROPS[self.rate])
        for name in ("codec", "recipe", "use_selection"):
            layout.prop(self, name)


class IMPORT_SCENE_OT_texsandwich_gltf(JobRunner, bpy.types.Operator, ImportHelper):
    """Import a glTF whose textures are texsandwich .tsw files (decoded, then Blender's glTF importer)"""

    bl_idname = "import_scene.texsandwich_gltf"
    bl_label = "Import glTF (texsandwich)"
    bl_options = {"UNDO"}

    filename_ext = ".gltf"
    filter_glob: StringProperty(default="*.gltf", options={"HIDDEN"})  # type: ignore[valid-type]

    def execute(self, context):
        return self.run_with_cli(context, lambda cli: ImportJob(cli, self.filepath))


class InPlaceCompress(JobRunner):
    """Mixin: compress what ``context.<context_key>`` holds (a material, a world) in place with ``job``; the
    panel's scene-wide settings are the defaults (Blender registers a mixin's property annotations)."""

    context_key = ""
    job = MaterialJob

    rate: _rate  # type: ignore[valid-type]
    quality: _quality  # type: ignore[valid-type]
    target_psnr: _target  # type: ignore[valid-type]
    target_mb: _size  # type: ignore[valid-type]
    codec: _codec  # type: ignore[valid-type]
    pack: BoolProperty(name="Pack into .blend", default=False,  # type: ignore[valid-type]
                       description="Pack the decoded images (otherwise they and the .tsw files go to "
                                   "//texsandwich/ next to the saved .blend)")

    @classmethod
    def poll(cls, context):
        return getattr(context, cls.context_key, None) is not None

    def invoke(self, context, event):
        settings = context.scene.texsandwich
        self.quality, self.codec, self.pack = settings.quality, settings.codec, settings.pack
        self.rate, self.target_psnr, self.target_mb = settings.rate, settings.target_psnr, settings.target_mb
        return self.execute(context)

    def job_options(self) -> dict:
        """Keyword arguments of ``job`` beyond the shared ones (a material's recipe)."""
        return {}

    def execute(self, context):
        owner = getattr(context, self.context_key)
        return self.run_with_cli(context, lambda cli: self.job(cli, owner, self.quality, self.codec, self.pack,
                                                               self.target(), **self.job_options()))


class InPlaceRevert:
    """Mixin: put back the original images of what ``context.<context_key>`` holds (``undo`` does it)."""

    context_key = ""
    bl_label = "Revert"
    bl_options = {"UNDO"}

    @staticmethod
    def undo(owner) -> int:
        raise NotImplementedError

    @classmethod
    def poll(cls, context):
        owner = getattr(context, cls.context_key, None)
        return owner is not None and "texsandwich" in owner

    def execute(self, context):
        n = self.undo(getattr(context, self.context_key))
        _say(self, "INFO", f"texsandwich: {n} original image(s) restored")
        return {"FINISHED"}


class MATERIAL_OT_texsandwich_compress(InPlaceCompress, bpy.types.Operator):
    """Compress the active material's image textures through texsandwich and use the decoded result"""

    bl_idname = "material.texsandwich_compress"
    bl_label = "Compress Textures"
    bl_options = {"UNDO"}
    context_key, job = "material", MaterialJob

    recipe: _material_recipe  # type: ignore[valid-type]

    def invoke(self, context, event):
        self.recipe = context.scene.texsandwich.recipe
        return super().invoke(context, event)

    def job_options(self) -> dict:
        return {"recipe": self.recipe}


class MATERIAL_OT_texsandwich_revert(InPlaceRevert, bpy.types.Operator):
    """Put the material's original images back"""

    bl_idname = "material.texsandwich_revert"
    context_key = "material"
    undo = staticmethod(revert_material)


class WORLD_OT_texsandwich_compress(InPlaceCompress, bpy.types.Operator):
    """Compress the world's environment image through texsandwich and light the scene with the decoded result"""

    bl_idname = "world.texsandwich_compress"
    bl_label = "Compress Environment"
    bl_options = {"UNDO"}
    context_key, job = "world", WorldJob


class WORLD_OT_texsandwich_revert(InPlaceRevert, bpy.types.Operator):
    """Put the world's original environment image back"""

    bl_idname = "world.texsandwich_revert"
    context_key = "world"
    undo = staticmethod(revert_world)


class TEXSANDWICH_OT_test_cli(bpy.types.Operator):
    """Check that the texsandwich CLI runs and is recent enough"""

    bl_idname = "texsandwich.test_cli"
    bl_label = "Test"

    def execute(self, context):
        from .ui import detection

        ok, line = detection(context, refresh=True)
        if not ok:
            _say(self, "ERROR", line)
            return {"CANCELLED"}
        _say(self, "INFO", line)
        return {"FINISHED"}


CLASSES = (EXPORT_SCENE_OT_texsandwich_gltf, IMPORT_SCENE_OT_texsandwich_gltf, MATERIAL_OT_texsandwich_compress,
           MATERIAL_OT_texsandwich_revert, WORLD_OT_texsandwich_compress, WORLD_OT_texsandwich_revert,
           TEXSANDWICH_OT_test_cli)


def menu_export(self, context):
    self.layout.operator(EXPORT_SCENE_OT_texsandwich_gltf.bl_idname, text="glTF with texsandwich textures (.gltf)")


def menu_import(self, context):
    self.layout.operator(IMPORT_SCENE_OT_texsandwich_gltf.bl_idname, text="glTF with texsandwich textures (.gltf)")
