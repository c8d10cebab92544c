"""texsandwich for Blender: export and import glTF scenes with sandwich-compressed textures.

Drives the ``texsandwich`` command line in a subprocess (never imports torch): File › Export/Import ›
glTF with texsandwich textures, and Properties › Material / World › texsandwich. See docs/blender.md.
"""

bl_info = {
    "name": "texsandwich",
    "author": "texsandwich developers",
    "version": (0, 3, 1),
    "blender": (3, 6, 0),
    "location": "File > Export/Import > glTF with texsandwich textures; Properties > Material/World > texsandwich",
    "description": "glTF export/import with neural-sandwich compressed textures (HEIC/JPEG inside .tsw)",
    "doc_url": "https://github.com/texsandwich/texsandwich/blob/main/docs/blender.md",
    "category": "Import-Export",
}

import bpy  # noqa: E402

from . import operators, ui  # noqa: E402

_CLASSES = (*ui.CLASSES, *operators.CLASSES)


def register() -> None:
    for cls in _CLASSES:
        bpy.utils.register_class(cls)
    bpy.types.Scene.texsandwich = bpy.props.PointerProperty(type=ui.TexsandwichSettings)
    bpy.types.TOPBAR_MT_file_export.append(operators.menu_export)
    bpy.types.TOPBAR_MT_file_import.append(operators.menu_import)


def unregister() -> None:
    bpy.types.TOPBAR_MT_file_import.remove(operators.menu_import)
    bpy.types.TOPBAR_MT_file_export.remove(operators.menu_export)
    del bpy.types.Scene.texsandwich
    for cls in reversed(_CLASSES):
        bpy.utils.unregister_class(cls)
