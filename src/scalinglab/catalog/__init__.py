"""Reference models (Chinchilla, Llama 3, SmolLM3 ...) and where they sit on a law's frontier."""

from .frontier import FrontierPlacement, place_all, place_on_frontier
from .models import REFERENCE_MODELS, ReferenceModel, get_model, list_models

__all__ = [
    "ReferenceModel", "REFERENCE_MODELS", "get_model", "list_models",
    "FrontierPlacement", "place_on_frontier", "place_all",
]
