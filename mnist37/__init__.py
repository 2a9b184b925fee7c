"""mnist37: fast.ai lesson 4's linear model that tells handwritten 3s from 7s, as a library.

No streamlit here: the pages in pages/ are thin views over these modules.
"""
from .data import Dataset, DataError, load
from .model import batch_accuracy, init_params, linear1, mnist_loss, sigmoid
from .train import TrainConfig, Trainer

__all__ = ["Dataset", "DataError", "load", "init_params", "linear1", "mnist_loss", "sigmoid",
           "batch_accuracy", "TrainConfig", "Trainer"]
