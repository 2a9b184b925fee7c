"""Every plotly figure the app draws, built from plain arrays; pages never build figures.

By idea: `maps` (28x28 pictures: weights, pixels, x·w, galleries, the replay), `decision` (sigmoid,
logits and threshold), `curves` (loss and accuracy over training); `style` holds what they share.
"""
from .curves import learning_curves, loss_comparison
from .decision import sigmoid_decision, threshold_view
from .maps import (compact, contribution_heatmap, digit_gallery, digit_image, diverging_heatmap, model_input,
                   weight_heatmap, weight_heatmap_live, weight_replay, weight_thumbnail)
from .style import DIVERGING, GREYS, MARK_COLOUR, NEG_COLOUR, POS_COLOUR, TRAIN_COLOUR, VALID_COLOUR

__all__ = ["learning_curves", "loss_comparison", "sigmoid_decision", "threshold_view", "compact",
           "contribution_heatmap", "digit_gallery", "digit_image", "diverging_heatmap", "model_input",
           "weight_heatmap", "weight_heatmap_live", "weight_replay", "weight_thumbnail", "DIVERGING", "GREYS",
           "MARK_COLOUR", "NEG_COLOUR", "POS_COLOUR", "TRAIN_COLOUR", "VALID_COLOUR"]
