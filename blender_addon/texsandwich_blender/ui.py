"""Add-on preferences (where the CLI is) and the Properties › Material and World › texsandwich panels."""


import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, IntProperty, StringProperty

from .cli import REQUIRED_VERSION, version_string
from .jobs import PROP, RATE_ITEMS, RATE_PROPS, RECIPE_ITEMS, material_summary, world_summary
from .nodes import image_nodes, material_roles, world_environment


class TexsandwichPreferences(bpy.types.AddonPreferences):
    bl_idname = __package__

    cli_path: StringProperty(  # type: ignore[valid-type]
        name="texsandwich CLI", subtype="FILE_PATH", default="",
        description="Path of the texsandwich command; empty: PATH, $TEXSANDWICH_CLI, or a project .venv "
                    "next to the .blend or the add-on")

    def draw(self, context):
        col = self.layout.column()
        row = col.row(align=True)
        row.prop(self, "cli_path")
        row.operator("texsandwich.test_cli", icon="CHECKMARK")
        found = detection(context)
        col.label(text=found[1], icon="CHECKMARK" if found[0] else "ERROR")
        col.label(text=f"Needs texsandwich {version_string(REQUIRED_VERSION)} or newer (pip install texsandwich, "
                       "or 'make' in a checkout of the project).")


_DETECTED: dict[str, tuple[bool, str]] = {}
"""CLI detection per preference value (running the CLI on every redraw would be slow); Test refreshes it."""


def detection(context, refresh: bool = False) -> tuple[bool, str]:
    """(found, one line) for the preferences: which CLI the add-on will run, or what is wrong."""
    from .cli import CliError
    from .operators import locate_cli

    prefs = context.preferences.addons[__package__].preferences
    key = prefs.cli_path
    if refresh or key not in _DETECTED:
        try:
            path, version = locate_cli(context)
            _DETECTED[key] = (True, f"Using texsandwich {version_string(version)} at {path}")
        except CliError as e:
            _DETECTED[key] = (False, str(e))
    return _DETECTED[key]


class TexsandwichSettings(bpy.types.PropertyGroup):
    """Scene-wide defaults of the material panel."""

    rate: EnumProperty(name="Rate", items=RATE_ITEMS, default="QUALITY")  # type: ignore[valid-type]
    quality: IntProperty(name="Quality", min=1, max=100, default=50)  # type: ignore[valid-type]
    target_psnr: FloatProperty(name="Target PSNR", min=20.0, max=60.0, default=40.0,  # type: ignore[valid-type]
                               precision=1, description="Shaded-surface PSNR (dB) to reach; quality is searched")
    target_mb: FloatProperty(name="Size (MB)", min=0.001, max=100000.0, default=4.0,  # type: ignore[valid-type]
                             precision=2, description="Megabytes the compressed textures may take together")
    codec: EnumProperty(name="Codec", items=[("heic", "HEIC", ""), ("jpeg", "JPEG", "")],  # type: ignore[valid-type]
                        default="heic")
    pack: BoolProperty(name="Pack into .blend", default=False,  # type: ignore[valid-type]
                       description="Pack decoded images instead of writing them next to the saved .blend")
    recipe: EnumProperty(name="Recipe", items=RECIPE_ITEMS, default="AUTO")  # type: ignore[valid-type]


def _compressed(layout, info, summary: str, revert: str) -> None:
    """What a compressed material or world shows: its settings, the summary line, storage, Revert."""
    box = layout.box()
    box.label(text=f"Compressed ({info['recipe']}, {info['codec'].upper()} q{info['quality']}"
                   + (f", target {info['target_psnr']:.1f} dB)" if info.get("target_psnr")
                      else f", budget {info['target_size']}B)" if info.get("target_size") else ")"),
              icon="CHECKMARK")
    box.label(text=summary)
    box.label(text=f"Stored: {info['storage']}")
    layout.operator(revert, icon="LOOP_BACK")


class PropertiesPanel:
    """Mixin: a closed-by-default texsandwich panel in the Properties editor's ``bl_context`` tab, shown
    when the context has that datablock (a material, a world); a compressed one shows what it cost."""

    bl_label = "texsandwich"
    bl_space_type = "PROPERTIES"
    bl_region_type = "WINDOW"
    bl_context = ""
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return getattr(context, cls.bl_context, None) is not None

    @staticmethod
    def summary(owner) -> str | None:
        raise NotImplementedError

    def draw(self, context):
        owner = getattr(context, self.bl_context)
        summary = self.summary(owner)
        if summary:
            _compressed(self.layout, owner[PROP], summary, f"{self.bl_context}.texsandwich_revert")
        else:
            self.draw_source(context, owner)


class MATERIAL_PT_texsandwich(PropertiesPanel, bpy.types.Panel):
    bl_context = "material"
    summary = staticmethod(material_summary)

    def draw_source(self, context, mat) -> None:
        layout = self.layout
        roles = material_roles(mat)
        if not roles:
            n = len(image_nodes(mat))
            layout.label(text="No image texture in a glTF PBR input" + (f" ({n} other image(s))" if n else ""),
                         icon="INFO")
            return
        col = layout.column(align=True)
        for r in roles:
            w, h = r.node.image.size
            col.label(text=f"{r.role}: {r.node.image.name} ({w}x{h})", icon="IMAGE_DATA")
        _rate_row(layout, context.scene.texsandwich)
        layout.prop(context.scene.texsandwich, "recipe")
        layout.operator("material.texsandwich_compress", icon="MOD_DECIM")


def _rate_row(layout, settings) -> None:
    row = layout.row(align=True)
    row.prop(settings, "codec", text="")
    row.prop(settings, "rate", text="")
    row.prop(settings, RATE_PROPS[settings.rate])
    layout.prop(settings, "pack")


class WORLD_PT_texsandwich(PropertiesPanel, bpy.types.Panel):
    """The world's environment image (an HDRI) through texsandwich: 8-bit images by ``rgb-420``, HDR ones
    (EXR, Radiance .hdr, 16-bit or float TIFF/PNG) by ``hdr-444``, decoded back in their own kind."""

    bl_context = "world"
    summary = staticmethod(world_summary)

    def draw_source(self, context, world) -> None:
        layout = self.layout
        node = world_environment(world)
        if node is None:
            layout.label(text="No Environment Texture image lights this world", icon="INFO")
            return
        w, h = node.image.size
        kind = "HDR" if node.image.is_float else "8-bit"
        layout.label(text=f"environment: {node.image.name} ({w}x{h}, {kind})", icon="WORLD")
        _rate_row(layout, context.scene.texsandwich)
        layout.operator("world.texsandwich_compress", icon="MOD_DECIM")


CLASSES = (TexsandwichPreferences, TexsandwichSettings, MATERIAL_PT_texsandwich, WORLD_PT_texsandwich)
