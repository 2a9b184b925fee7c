"""Every plotly figure the app draws, built from plain arrays; pages never build figures.

By idea: `maps` (28x28 pictures: weights, pixels, x·w, galleries, the replay, fooling the model),
`decision` (sigmoid, logits and threshold, the confusion matrix), `curves` (loss and accuracy over
training), `step` (one SGD step: the batch, gradient, update, per-digit gradients), `runs` (runs
side by side, the learning-rate sweep), `classroom` (a class's runs and drawings together); `style`
holds what they share, and how a figure is shown on screen (`for_screen`, `CONFIG`).
"""
from .classroom import class_runs, drawings_sheet
from .curves import accuracy_curves, loss_comparison, loss_curves
from .decision import confusion_matrix, sigmoid_decision, threshold_view
from .maps import (compact, contribution_heatmap, digit_gallery, digit_image, diverging_heatmap, fool_overlay,
                   model_input, weight_heatmap, weight_heatmap_live, weight_replay, weight_thumbnail)
from .runs import runs_curves, sweep_plot
from .step import batch_strip, gradient_map, gradient_sizes, update_map, weights_before_after
from .style import (CONFIG, DIVERGING, GREYS, MARK_COLOUR, NEG_COLOUR, PAGE_COLOURS, POS_COLOUR,
                    TRAIN_COLOUR, VALID_COLOUR, for_screen)

__all__ = ["class_runs", "drawings_sheet", "accuracy_curves", "loss_curves", "loss_comparison", "confusion_matrix",
           "sigmoid_decision", "threshold_view",
           "compact", "contribution_heatmap", "digit_gallery", "digit_image", "diverging_heatmap", "fool_overlay",
           "model_input", "weight_heatmap", "weight_heatmap_live", "weight_replay", "weight_thumbnail",
           "runs_curves", "sweep_plot", "batch_strip", "gradient_map", "gradient_sizes", "update_map",
           "weights_before_after", "for_screen", "CONFIG", "PAGE_COLOURS", "DIVERGING", "GREYS", "MARK_COLOUR",
           "NEG_COLOUR", "POS_COLOUR", "TRAIN_COLOUR", "VALID_COLOUR"]
