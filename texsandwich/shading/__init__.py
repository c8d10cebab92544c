"""Differentiable shading: the glTF metallic-roughness BRDF and texture-space shaded distortion."""

from texsandwich.shading.brdf import linear_to_srgb, shade, srgb_to_linear
from texsandwich.shading.distortion import ShadedDistortion, eval_directions, random_directions

__all__ = ["ShadedDistortion", "eval_directions", "linear_to_srgb", "random_directions", "shade", "srgb_to_linear"]
